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
