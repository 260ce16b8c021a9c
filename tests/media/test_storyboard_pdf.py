"""The storyboard PDF, read back from its bytes."""

from __future__ import annotations

import io

import pypdf
import pytest

from storyreel.errors import InputError
from storyreel.media.storyboard_pdf import BoardShot, latin1, render_storyboard_pdf
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
