"""The offline scorer ranks on real pixels where the answer is known: the same figure moved
or scaled scores above the same figure recoloured or another figure, and the reference
pasted unchanged is caught as a copy."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from storyreel.media.images import image_to_png
from storyreel.providers.sketch.frame import CharacterSpec, FrameSpec
from storyreel.providers.sketch.render import render_frame
from storyreel.story.consistency.offline import OfflineScorer, reference_figure

INES = CharacterSpec("Ines", "a tall woman with short black hair and a long teal coat")
BO = CharacterSpec("Bo", "a small round boy with blonde curls, a yellow raincoat and red boots")


def _sheet(spec: CharacterSpec) -> Image.Image:
    return render_frame(
        FrameSpec(width=384, height=512, camera="character sheet", characters=(spec,), seed=3)
    )


def _scene() -> Image.Image:
    return render_frame(FrameSpec(width=1024, height=576, setting="a windy field at noon"))


def _cutout(sheet: Image.Image) -> tuple[Image.Image, Image.Image]:
    ground = Image.new("RGB", sheet.size, sheet.getpixel((2, 2)))  # type: ignore[arg-type]
    mask = ImageChops.difference(sheet, ground).convert("L").point(lambda v: 255 if v > 24 else 0)
    box = mask.getbbox()
    assert box is not None
    return sheet.crop(box), mask.crop(box)


def _paste(
    figure: Image.Image, mask: Image.Image, at: tuple[int, int], scale: float = 1.0
) -> bytes:
    scene = _scene()
    if scale != 1.0:
        size = (round(figure.width * scale), round(figure.height * scale))
        figure, mask = figure.resize(size), mask.resize(size)
    scene.paste(figure, at, mask)
    return image_to_png(scene)


@pytest.fixture(scope="module")
def panels() -> dict[str, bytes]:
    sheet = _sheet(INES)
    figure, mask = _cutout(sheet)
    r, g, b = figure.split()
    other, other_mask = _cutout(_sheet(BO))
    pasted = _scene()
    pasted.paste(sheet, (520, 40))
    return {
        "reference": image_to_png(sheet),
        "moved": _paste(figure, mask, (60, 100)),
        "scaled": _paste(figure, mask, (600, 250), scale=0.6),
        "recoloured": _paste(Image.merge("RGB", (b, r, g)), mask, (300, 100)),
        "replaced": _paste(other, other_mask, (300, 100)),
        "pasted": image_to_png(pasted),
    }


def test_consistent_panels_rank_above_inconsistent_ones(panels: dict[str, bytes]) -> None:
    scorer = OfflineScorer()
    ref = scorer.reference(panels["reference"])
    score = {name: scorer.find(data, ref) for name, data in panels.items() if name != "reference"}
    consistent = min(score["moved"].similarity, score["scaled"].similarity)
    inconsistent = max(score["recoloured"].similarity, score["replaced"].similarity)
    assert consistent > inconsistent + 0.1, {k: v.similarity for k, v in score.items()}
    assert consistent > 0.6 and inconsistent < 0.6


def test_the_copy_guard_catches_the_pasted_reference_only(panels: dict[str, bytes]) -> None:
    scorer = OfflineScorer()
    ref = scorer.reference(panels["reference"])
    copies = {
        name for name, data in panels.items() if name != "reference" and scorer.find(data, ref).copy
    }
    assert copies == {"pasted"}


def test_it_finds_where_the_figure_moved(panels: dict[str, bytes]) -> None:
    found = OfflineScorer().find(panels["moved"], reference_figure(panels["reference"]))
    left, _, right, _ = found.box
    sheet_figure, _ = _cutout(Image.open(io.BytesIO(panels["reference"])).convert("RGB"))
    centre = 60 + sheet_figure.width / 2
    assert left <= centre <= right, found.box


def test_two_panels_of_one_figure_are_closer_than_two_figures(panels: dict[str, bytes]) -> None:
    scorer = OfflineScorer()
    ref = scorer.reference(panels["reference"])
    moved, scaled, replaced = (scorer.find(panels[k], ref) for k in ("moved", "scaled", "replaced"))
    assert scorer.between(moved, scaled) > scorer.between(moved, replaced)
