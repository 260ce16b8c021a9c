"""The storyboard PDF and the webtoon strip, read back from their bytes."""

from __future__ import annotations

import io

import pypdf
import pytest
from PIL import Image

from storyreel.errors import InputError
from storyreel.media.storyboard_pdf import BoardShot, latin1, render_storyboard_pdf
from storyreel.media.webtoon import MAX_PART_HEIGHT, STRIP_WIDTH, StripPanel, render_webtoon
from tests.media.helpers import flat_png


def _shots(count: int, size: tuple[int, int] = (1024, 576)) -> list[BoardShot]:
    return [
        BoardShot(
            number=n,
            image=flat_png(size),
            action=f"Mira crosses the harbour — shot {n}",
            camera="wide",
            motion="pan left",
            duration=3.5,
            narration="The storm gathers.",
            dialogue="MIRA: Tomás!",
        )
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize(("count", "pages"), [(1, 1), (3, 1), (4, 2), (7, 3)])
def test_pdf_has_one_page_per_three_shots_and_every_note(count: int, pages: int) -> None:
    data = render_storyboard_pdf("The Keeper\u2019s Daughter", _shots(count))
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == pages
    text = "\n".join(page.extract_text() for page in reader.pages)
    for n in range(1, count + 1):
        assert f"Shot {n}" in text
    for note in ("Camera:", "wide", "pan left", "The storm gathers.", "MIRA: Tomás!", "3.5 s"):
        assert note in text
    assert "Keeper's Daughter" in text
    assert len(reader.pages[0].images) >= 1


def test_pdf_is_byte_for_byte_reproducible() -> None:
    assert render_storyboard_pdf("T", _shots(2)) == render_storyboard_pdf("T", _shots(2))


def test_pdf_refuses_an_empty_board_and_a_broken_panel() -> None:
    with pytest.raises(InputError):
        render_storyboard_pdf("T", [])
    with pytest.raises(InputError, match="readable image"):
        render_storyboard_pdf("T", [BoardShot(1, b"nope", "x")])


def test_latin1_stand_ins() -> None:
    assert latin1("a—b “c” 日本 é") == 'a-b "c" ?? é'


def _sizes(parts: list[bytes]) -> list[tuple[int, int]]:
    return [Image.open(io.BytesIO(part)).size for part in parts]


def test_webtoon_is_800_wide_and_splits_between_panels() -> None:
    panels = [StripPanel(flat_png((1024, 576)), f"Shot {n}: Mira runs.") for n in range(40)]
    parts = render_webtoon(panels)
    sizes = _sizes(parts)
    assert len(parts) == 2
    assert all(w == STRIP_WIDTH and h <= MAX_PART_HEIGHT for w, h in sizes)
    # Each panel block is the same height; the first part holds as many whole ones as fit.
    single = _sizes(render_webtoon(panels[:1]))[0][1]
    block = single - 120  # minus the two gutters
    fits = (MAX_PART_HEIGHT - 60) // (block + 60)
    assert sizes[0][1] == 60 + fits * (block + 60)


def test_webtoon_small_part_limit_gives_more_parts() -> None:
    panels = [StripPanel(flat_png((512, 512)), "caption") for _ in range(5)]
    parts = render_webtoon(panels, max_height=1600)
    assert len(parts) == 5
    assert all(h <= 1600 for _, h in _sizes(parts))


def test_a_very_tall_panel_still_fits_one_part() -> None:
    parts = render_webtoon([StripPanel(flat_png((100, 4000)), "tall")], max_height=2000)
    assert _sizes(parts) == [(800, 2000)] or _sizes(parts)[0][1] <= 2000


def test_webtoon_refuses_bad_geometry() -> None:
    with pytest.raises(InputError):
        render_webtoon([])
    with pytest.raises(InputError):
        render_webtoon([StripPanel(flat_png((64, 64)))], width=2000)
