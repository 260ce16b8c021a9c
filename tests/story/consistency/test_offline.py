"""The offline scorer ranks on real pixels where the answer is known: the same figure moved
or scaled scores above the same figure recoloured or another figure, and the reference
pasted unchanged is caught as a copy."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageChops

from storyreel.media.images import image_to_png
from storyreel.providers.sketch.frame import CharacterSpec, FrameSpec
from storyreel.providers.sketch.render import render_frame
from storyreel.story.consistency import offline
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


def _noisy(size: tuple[int, int], seed: int) -> Image.Image:
    """Blocky random colours: many windows tie or nearly tie, the hard case for a search."""
    rng = random.Random(seed)
    small = Image.new("RGB", (size[0] // 4, size[1] // 4))
    small.putdata(
        [
            tuple(rng.choice((0, 90, 170, 250)) for _ in range(3))
            for _ in range(small.width * small.height)
        ]
    )  # type: ignore[misc]
    return small.resize(size, Image.Resampling.NEAREST)


def _best_window_exhaustive(
    bins: Image.Image, ref_hist: tuple[float, ...], aspect: float
) -> tuple[int, int, int, int]:
    """The search as first written: a crop and a histogram per window."""
    best: tuple[float, tuple[int, int, int, int]] = (-1.0, (0, 0, bins.width, bins.height))
    for fraction in offline._SCALES:
        h = max(4, round(offline._SEARCH_HEIGHT * fraction))
        w = max(2, min(bins.width, round(h * aspect)))
        for top in range(0, bins.height - h + 1, max(1, h // 4)):
            for left in range(0, bins.width - w + 1, max(1, w // 4)):
                box = (left, top, left + w, top + h)
                score = offline._intersection(
                    ref_hist, offline._normalised(bins.crop(box).histogram())
                )
                if score > best[0]:
                    best = (score, box)
    return best[1]


def _closest_exhaustive(image: Image.Image, ref: Image.Image) -> tuple[float, tuple[int, int]]:
    best, at = 255.0, (0, 0)
    for top in range(image.height - ref.height + 1):
        for left in range(image.width - ref.width + 1):
            window = image.crop((left, top, left + ref.width, top + ref.height))
            mad = offline._mad(window, ref)
            if mad < best:
                best, at = mad, (left, top)
    return best, at


@pytest.mark.parametrize("seed", range(6))
def test_the_window_searches_pick_what_an_exhaustive_search_picks(seed: int) -> None:
    """The integral-image searches are a speed-up only: the same box, the same copy site."""
    panel = _noisy((160, 72), seed)
    figure = _noisy((24, 40), seed + 100)
    ref_hist = offline._normalised(offline._bins(figure).histogram())
    bins = offline._bins(panel)
    aspect = figure.width / figure.height
    assert offline._best_window(bins, ref_hist, aspect) == _best_window_exhaustive(
        bins, ref_hist, aspect
    )
    grey = panel.convert("L").resize((80, 36), Image.Resampling.BOX)
    ref = grey.crop((seed * 7, seed * 3, seed * 7 + 12, seed * 3 + 10))
    for limit in (0.0, 4.0, 60.0):
        mad, at = _closest_exhaustive(grey, ref)
        found = offline._closest_window(np.asarray(grey), np.asarray(ref), limit)
        assert found == (at if mad <= limit else None), (limit, mad, at, found)
