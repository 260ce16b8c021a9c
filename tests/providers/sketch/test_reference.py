"""The sketch renderer takes the torso colour of a reference's figure, not its background."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from storyreel.providers.sketch.reference import torso_colour


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _figure(ground: tuple[int, int, int], shirt: tuple[int, int, int]) -> bytes:
    img = Image.new("RGB", (200, 300), ground)
    draw = ImageDraw.Draw(img)
    draw.ellipse((80, 20, 120, 60), fill=(230, 190, 160))  # head
    draw.rectangle((70, 60, 130, 200), fill=shirt)  # torso
    draw.rectangle((75, 200, 125, 290), fill=(20, 20, 20))  # legs
    return _png(img)


def _near(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) <= 12 for x, y in zip(a, b, strict=True))


def test_torso_colour_is_the_shirt_not_the_background() -> None:
    got = torso_colour(_figure((240, 240, 240), (200, 30, 30)))
    assert got is not None and _near(got, (200, 30, 30))
    got = torso_colour(_figure((20, 120, 20), (40, 60, 210)))
    assert got is not None and _near(got, (40, 60, 210))


def test_no_figure_means_no_colour() -> None:
    assert torso_colour(_png(Image.new("RGB", (120, 120), (50, 50, 50)))) is None
