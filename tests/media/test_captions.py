"""Caption overlays: frame-sized transparent PNGs with the text in a dark band low in the
frame; long text wraps to at most three lines, and the top of the frame stays clear."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from storyreel.media.captions import caption_image


def overlay(text: str, width: int = 320, height: int = 180) -> Image.Image:
    image = Image.open(io.BytesIO(caption_image(text, width, height)))
    assert image.format == "PNG"
    return image


def band_rows(image: Image.Image) -> list[int]:
    """Rows with any visible pixel."""
    alpha = image.getchannel("A")
    return [y for y in range(image.height) if alpha.crop((0, y, image.width, y + 1)).getbbox()]


@pytest.mark.parametrize(("width", "height"), [(320, 180), (180, 320)])
def test_the_overlay_is_the_frame_size_and_clear_above_the_band(width: int, height: int) -> None:
    image = overlay("Hello, world", width, height)
    assert (image.size, image.mode) == ((width, height), "RGBA")
    rows = band_rows(image)
    assert rows, "nothing drawn"
    assert min(rows) > height // 2  # the lower part of the frame
    assert max(rows) < height  # a margin under the band
    colours = {image.getpixel((x, y)) for y in rows for x in range(width)}
    assert (255, 255, 255, 255) in colours  # the text itself


def test_long_text_wraps_to_at_most_three_lines() -> None:
    one = len(band_rows(overlay("short")))
    two = len(band_rows(overlay("first line\nsecond line")))
    many = len(band_rows(overlay(" ".join(["word"] * 200))))
    assert one < two < many
    assert many == len(band_rows(overlay("a\nb\nc\nd\ne")))  # capped at three lines


def test_text_the_font_cannot_draw_still_renders() -> None:
    image = overlay("caf\u00e9 \U0001f600 \u4e2d\u6587")
    assert band_rows(image)
