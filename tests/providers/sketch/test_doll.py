"""Drawing one paper-doll figure: the points the layout promises are painted in the
look's colours, every part a description asks for shows up, and tiny figures (boxes that
invert at a few pixels) still draw."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PIL import Image, ImageDraw

from storyreel.providers.sketch.doll import Body, draw_figure, draw_figures
from storyreel.providers.sketch.figures import HatKind, character_look, figure_layout
from storyreel.providers.sketch.frame import CharacterSpec, FrameSpec
from storyreel.providers.sketch.layout import stage_for

MIRA = CharacterSpec("Mira", "young woman with long red hair and a blue jacket")
TOM = CharacterSpec("Old Tom", "elderly sailor, white beard, yellow raincoat")
MAGENTA = (255, 0, 255)


def _drawn(spec: FrameSpec, who: CharacterSpec, **look_changes: object) -> tuple[Image.Image, int]:
    """``who`` drawn alone as the first figure of ``spec``; returns the image and the
    number of pixels the figure painted."""
    stage = stage_for(spec.width, spec.height)
    img = Image.new("RGB", (spec.width, spec.height), MAGENTA)
    look = replace(character_look(who), **look_changes)  # type: ignore[arg-type]
    draw_figure(ImageDraw.Draw(img, "RGBA"), stage, figure_layout(spec)[0], look)
    colours = img.getcolors(1 << 20) or []
    return img, spec.width * spec.height - sum(n for n, c in colours if c == MAGENTA)


def _coverage(camera: str) -> float:
    spec = FrameSpec(640, 360, camera=camera, characters=(MIRA, TOM))
    stage = stage_for(spec.width, spec.height)
    img, _ = _drawn(spec, MIRA)
    visible = img.crop((0, 0, spec.width, stage.bottom))
    colours = visible.getcolors(1 << 20) or []
    background = sum(n for n, c in colours if c == MAGENTA)
    return 1 - background / (visible.width * visible.height)


def test_close_up_fills_more_of_the_frame_than_wide() -> None:
    wide, medium, close = _coverage("wide"), _coverage("medium"), _coverage("close-up")
    assert 0 < wide < medium < close
    assert close > 0.25


def test_the_layouts_promised_points_carry_the_looks_colours() -> None:
    spec = FrameSpec(1024, 576, camera="medium", characters=(MIRA, TOM))
    img = Image.new("RGB", (spec.width, spec.height), MAGENTA)
    layouts = draw_figures(ImageDraw.Draw(img, "RGBA"), spec)
    for fig in layouts:
        look = character_look(spec.characters[fig.index])
        assert img.getpixel(fig.torso_point) == look.top
        if fig.hair_point is not None:
            assert img.getpixel(fig.hair_point) == look.hair


@pytest.mark.parametrize(
    "changes",
    [
        {"cloak": (150, 20, 20)},
        {"robe": True},
        {"armor": True},
        {"beard": (240, 240, 240)},
        {"long_hair": True},
        {"hat": (30, 30, 30), "hat_kind": HatKind.hat},
        {"hat": (30, 30, 30), "hat_kind": HatKind.helmet},
        {"hat": (30, 30, 30), "hat_kind": HatKind.hood},
        {"hat": (200, 170, 40), "hat_kind": HatKind.crown},
    ],
)
def test_every_part_changes_the_drawing(changes: dict[str, object]) -> None:
    spec = FrameSpec(640, 360, camera="wide", characters=(TOM,))
    plain = dict.fromkeys(("cloak", "beard", "hat"), None) | {
        "robe": False,
        "armor": False,
        "long_hair": False,
        "hat_kind": HatKind.none,
    }
    before, _ = _drawn(spec, TOM, **plain)
    after, _ = _drawn(spec, TOM, **(plain | changes))
    assert before.tobytes() != after.tobytes()


def test_tiny_figures_still_draw() -> None:
    spec = FrameSpec(64, 64, camera="wide", characters=(MIRA,))
    _, painted = _drawn(spec, MIRA, cloak=(10, 10, 10), armor=True)
    assert painted > 0


def test_body_landmarks_run_head_to_feet() -> None:
    spec = FrameSpec(640, 360, camera="wide", characters=(MIRA,))
    fig = figure_layout(spec)[0]
    broad = Body.of(fig, replace(character_look(MIRA), build=1.22))
    body = Body.of(fig, character_look(MIRA))
    assert body.top < body.cy < body.sh < body.waist < body.feet
    assert broad.sw > body.sw and broad.legw > body.legw
