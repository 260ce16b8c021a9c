from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image, ImageFont

from storyreel.errors import InputError
from storyreel.media.contact_sheet import (
    ELLIPSIS,
    SheetPanel,
    drawable,
    render_contact_sheet,
    sheet_layout,
    wrap_text,
)
from tests.media.helpers import encode, flat_png, pattern_image

LONG = (
    "A lone lighthouse keeper climbs the spiral stairs as the storm gathers over the grey "
    "sea, lantern swinging in one hand and an unopened letter in the other, while gulls wheel"
)


def _panels(count: int, size: tuple[int, int] = (320, 180)) -> list[SheetPanel]:
    image = encode(pattern_image(size))
    return [SheetPanel(image=image, number=i + 1, caption=f"shot {i + 1}") for i in range(count)]


def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    assert isinstance(font, ImageFont.FreeTypeFont)
    return font


def _size(png: bytes) -> tuple[int, int]:
    img = Image.open(BytesIO(png))
    assert img.format == "PNG"
    return img.size


@pytest.mark.parametrize(("count", "columns", "rows"), [(1, 3, 1), (3, 3, 1), (4, 3, 2), (7, 2, 4)])
def test_dimensions_follow_the_grid(count: int, columns: int, rows: int) -> None:
    png = render_contact_sheet(_panels(count), title="Lighthouse", columns=columns, panel_width=160)
    used = min(columns, count)
    layout = sheet_layout(count, columns=columns, panel_width=160, image_height=90)
    assert (layout.columns, layout.rows) == (used, rows)
    assert _size(png) == (layout.width, layout.height)
    assert layout.width == layout.padding + used * (160 + layout.padding)
    assert layout.height == layout.title_height + layout.padding + rows * (
        layout.cell_height + layout.padding
    )


def test_more_rows_add_whole_cells() -> None:
    one_row = _size(render_contact_sheet(_panels(3), title="t", panel_width=160))
    two_rows = _size(render_contact_sheet(_panels(4), title="t", panel_width=160))
    layout = sheet_layout(4, columns=3, panel_width=160, image_height=90)
    assert two_rows[0] == one_row[0]
    assert two_rows[1] - one_row[1] == layout.cell_height + layout.padding


def test_image_area_fits_the_tallest_aspect() -> None:
    panels = [*_panels(1, (320, 180)), *_panels(1, (200, 300))]
    png = render_contact_sheet(panels, title="t", columns=2, panel_width=160)
    layout = sheet_layout(2, columns=2, panel_width=160, image_height=240)
    assert _size(png) == (layout.width, layout.height)


def test_images_keep_their_aspect_and_sit_in_their_cell() -> None:
    red = SheetPanel(image=flat_png((320, 180), (255, 0, 0)), number=1, caption="")
    tall = SheetPanel(image=flat_png((100, 200), (0, 0, 255)), number=2, caption="")
    sheet = Image.open(BytesIO(render_contact_sheet([red, tall], title="t", panel_width=160)))
    layout = sheet_layout(2, columns=3, panel_width=160, image_height=320)
    x, y = layout.cell_origin(0)
    # 16:9 in a 160x320 cell: red band in the middle, matte above and below.
    assert sheet.getpixel((x + 80, y + 160)) == (255, 0, 0)
    assert sheet.getpixel((x + 80, y + 10)) != (255, 0, 0)
    x, y = layout.cell_origin(1)
    assert sheet.getpixel((x + 80, y + 160)) == (0, 0, 255)


def test_output_is_deterministic() -> None:
    panels = _panels(4)
    panels[1] = SheetPanel(image=panels[1].image, number=2, caption=LONG)
    first = render_contact_sheet(panels, title="Lighthouse — act one", panel_width=200)
    assert render_contact_sheet(panels, title="Lighthouse — act one", panel_width=200) == first


def test_caption_wraps_to_three_lines_with_ellipsis() -> None:
    font = _font(18)
    lines = wrap_text(LONG, font, 240)
    assert len(lines) == 3
    assert lines[-1].endswith(ELLIPSIS)
    assert all(font.getlength(line) <= 240 for line in lines)
    assert wrap_text("short caption", font, 240) == ["short caption"]
    assert wrap_text("", font, 240) == []


def test_overlong_words_are_split() -> None:
    font = _font(18)
    lines = wrap_text("x" * 60, font, 100)
    assert len(lines) == 3
    assert all(font.getlength(line) <= 100 for line in lines)


def test_characters_missing_from_the_font_are_replaced() -> None:
    font = _font(18)
    assert drawable("Café — naïve", font) == "Cafe - naive"
    assert drawable("漢", font) == "?"


def test_refusals() -> None:
    with pytest.raises(InputError, match="at least one panel"):
        render_contact_sheet([], title="t")
    with pytest.raises(InputError, match="columns"):
        render_contact_sheet(_panels(1), title="t", columns=0)
    bad = SheetPanel(image=b"<html>", number=7, caption="")
    with pytest.raises(InputError, match="shot 7 image"):
        render_contact_sheet([bad], title="t")


def test_default_panel_width() -> None:
    png = render_contact_sheet(_panels(2), title="t")
    layout = sheet_layout(2, columns=3, panel_width=480, image_height=270)
    assert _size(png) == (layout.width, layout.height)


# The identity badges and the characters' images in the header (issue 10): checked on pixels.
_PANEL = (200, 60, 40)
_BADGE_FILL = (30, 30, 36)


def _scored_panels(badges: dict[int, str | None]) -> list[SheetPanel]:
    image = flat_png((320, 180), _PANEL)
    return [
        SheetPanel(image=image, number=n, caption=f"shot {n}", badge=badge)
        for n, badge in badges.items()
    ]


def _rgb(png: bytes) -> Image.Image:
    return Image.open(BytesIO(png)).convert("RGB")


def test_each_scored_panel_wears_its_badge_top_right() -> None:
    from PIL import ImageChops

    from storyreel.story.consistency.identity import PanelScore, panel_badge

    scores = [
        PanelScore(shot=1, character="Ines", cross=0.87, self_score=0.8, copy=False),
        PanelScore(shot=2, character="Ines", cross=None, self_score=None, copy=True),
    ]
    badges = {n: panel_badge(scores, n) for n in (1, 2, 3)}
    assert badges == {1: "ID 0.87", 2: "COPY", 3: None}
    scored = _rgb(render_contact_sheet(_scored_panels(badges), title="t", panel_width=160))
    plain = _rgb(
        render_contact_sheet(_scored_panels(dict.fromkeys(badges)), title="t", panel_width=160)
    )
    layout = sheet_layout(3, columns=3, panel_width=160, image_height=90)
    crops = []
    for index in range(3):
        x, y = layout.cell_origin(index)
        cell = (x, y, x + layout.panel_width, y + layout.cell_height)
        diff = ImageChops.difference(scored.crop(cell), plain.crop(cell)).getbbox()
        if index == 2:  # no score, no badge: the cell is untouched
            assert diff is None
            continue
        assert diff is not None
        left, top, right, bottom = diff
        # Inside the image, hanging from its top-right corner, small.
        assert right <= layout.panel_width - 3 and top >= 4  # rectangles are inclusive
        assert left > layout.panel_width // 3 and bottom < layout.image_height // 2
        assert plain.getpixel((x + left, y + top)) == _PANEL
        assert scored.getpixel((x + layout.panel_width - 6, y + 5)) == _BADGE_FILL
        badge = scored.crop((x + left, y + top, x + right, y + bottom))
        colours = {c for _, c in badge.getcolors(maxcolors=4096) or []}
        assert _BADGE_FILL in colours
        assert any(min(c) > 200 for c in colours)  # its light text
        crops.append(badge)
    assert crops[0].size != crops[1].size or crops[0].tobytes() != crops[1].tobytes()


def test_the_header_shows_each_characters_image_in_order() -> None:
    ines, bo = (10, 200, 90), (40, 90, 230)
    cast = [("Ines", flat_png((64, 96), ines)), ("Bo", flat_png((64, 64), bo))]
    panels = _scored_panels({1: None, 2: None})
    with_cast = _rgb(render_contact_sheet(panels, title="t", panel_width=160, characters=cast))
    without = _rgb(render_contact_sheet(panels, title="t", panel_width=160))
    layout = sheet_layout(2, columns=3, panel_width=160, image_height=90)
    bar = layout.title_height
    header = with_cast.crop((0, 0, with_cast.width, bar))
    colours = {c for _, c in header.getcolors(maxcolors=1 << 16) or []}
    assert ines in colours and bo in colours
    plain_colours = {
        c for _, c in without.crop((0, 0, without.width, bar)).getcolors(1 << 16) or []
    }
    assert ines not in plain_colours and bo not in plain_colours
    side = max(16, bar - 8)
    # The last character sits at the right end; the first to its left, past Bo's label.
    assert with_cast.getpixel((with_cast.width - 8 - side // 2, bar // 2)) == bo
    ines_xs = [x for x in range(with_cast.width) if with_cast.getpixel((x, bar // 2)) == ines]
    assert ines_xs and max(ines_xs) < with_cast.width - 8 - side
    # The header stays in the title bar: the grid below is the same pixels.
    below = (0, bar, with_cast.width, with_cast.height)
    assert with_cast.crop(below).tobytes() == without.crop(below).tobytes()
