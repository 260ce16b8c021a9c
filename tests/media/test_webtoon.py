"""The webtoon strip: parts are never taller than a host takes, a panel is never cut in
half (a part holds whole panels, an over-tall panel is fitted into one part), the bytes
are deterministic, and bad sizes are one InputError."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from storyreel.errors import InputError
from storyreel.media.webtoon import (
    GUTTER,
    MAX_PART_HEIGHT,
    STRIP_WIDTH,
    StripPanel,
    render_webtoon,
)
from tests.media.helpers import flat_png


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def sizes(parts: list[bytes]) -> list[tuple[int, int]]:
    return [Image.open(io.BytesIO(part)).size for part in parts]


def test_whole_panels_fill_each_part_up_to_the_limit() -> None:
    panels = [StripPanel(png(200, 100, (200, 30, 30))) for _ in range(5)]
    # 320 px inside the margins: each block is 160 tall, 220 with its gutter.
    parts = render_webtoon(panels, width=400, max_height=600)
    assert sizes(parts) == [(400, 500), (400, 500), (400, 280)]


def test_a_caption_box_goes_above_its_panel() -> None:
    plain = sizes(render_webtoon([StripPanel(png(200, 100, (0, 0, 255)))], width=400))
    captioned = render_webtoon([StripPanel(png(200, 100, (0, 0, 255)), "Ada looks up.")], width=400)
    assert sizes(captioned)[0][1] > plain[0][1]
    page = Image.open(io.BytesIO(captioned[0])).convert("RGB")
    blue_rows = [y for y in range(page.height) if page.getpixel((200, y)) == (0, 0, 255)]
    ink_rows = [y for y in range(page.height) if page.getpixel((70, y)) != (255, 255, 255)]
    assert ink_rows and min(ink_rows) < min(blue_rows)  # the box's border is above the panel


def test_an_over_tall_panel_is_fitted_into_one_part() -> None:
    parts = render_webtoon([StripPanel(png(100, 5000, (0, 128, 0)))], width=400, max_height=600)
    assert len(parts) == 1
    assert sizes(parts)[0][1] <= 600


def test_webtoon_is_800_wide_and_splits_between_panels() -> None:
    panels = [StripPanel(flat_png((1024, 576)), f"Shot {n}: Mira runs.") for n in range(40)]
    parts = render_webtoon(panels)
    heights = sizes(parts)
    assert len(parts) == 2
    assert all(w == STRIP_WIDTH and h <= MAX_PART_HEIGHT for w, h in heights)
    # Each panel block is the same height; the first part holds as many whole ones as fit.
    single = sizes(render_webtoon(panels[:1]))[0][1]
    block = single - 120  # minus the two gutters
    fits = (MAX_PART_HEIGHT - 60) // (block + 60)
    assert heights[0][1] == 60 + fits * (block + 60)


def test_webtoon_small_part_limit_gives_more_parts() -> None:
    panels = [StripPanel(flat_png((512, 512)), "caption") for _ in range(5)]
    parts = render_webtoon(panels, max_height=1600)
    assert len(parts) == 5
    assert all(h <= 1600 for _, h in sizes(parts))


def test_the_same_panels_give_the_same_bytes() -> None:
    panels = [StripPanel(png(120, 90, (10, 20, 30)), "one"), StripPanel(png(90, 120, (1, 2, 3)))]
    assert render_webtoon(panels, width=400) == render_webtoon(panels, width=400)


@pytest.mark.parametrize(
    ("panels", "kw", "message"),
    [
        ([], {}, "at least one panel"),
        ([StripPanel(png(10, 10, (0, 0, 0)))], {"width": 100}, "width must be from 144 to 1280"),
        ([StripPanel(png(10, 10, (0, 0, 0)))], {"width": 2000}, "width must be"),
        ([StripPanel(png(10, 10, (0, 0, 0)))], {"max_height": 2 * GUTTER + 255}, "at least 376"),
    ],
)
def test_bad_sizes_are_one_input_error(
    panels: list[StripPanel], kw: dict[str, int], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        render_webtoon(panels, **kw)
