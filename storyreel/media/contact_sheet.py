"""A one-page PNG overview of a storyboard: title, then numbered shots in a grid.

It is what people skim and share, so it must render anywhere with no system fonts (the
FreeType font bundled with Pillow is used) and be byte-for-byte reproducible, so the same
storyboard gives the same file and caching by content hash works.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, ImageOps

from storyreel.errors import InputError
from storyreel.media.images import decode_image, flatten_rgb, image_to_png

CAPTION_LINES = 3
ELLIPSIS = "…"
_MIN_PANEL_WIDTH = 64
_MAX_PANEL_WIDTH = 2048
# Very tall images would make every row tall; beyond this they are letterboxed instead.
_MAX_IMAGE_ASPECT = 2.0

# Pillow's bundled font is a small Latin subset (no accents, no dashes); these stand-ins
# keep captions legible instead of showing boxes.
_STAND_INS = {
    "\u2014": "-",  # em dash
    "\u2013": "-",  # en dash
    "\u2010": "-",  # hyphen
    "\u2212": "-",  # minus sign
    "\u2022": "*",  # bullet
    "\u00df": "ss",  # sharp s
    "\u20ac": "EUR",
    "\u2192": "->",
}
_UNKNOWN = "?"

_BACKGROUND = (246, 245, 242)
_TITLE_BAR = (34, 34, 38)
_TITLE_TEXT = (250, 250, 250)
_IMAGE_MATTE = (222, 222, 222)
_LABEL_TEXT = (20, 20, 20)
_CAPTION_TEXT = (70, 70, 70)


@dataclass(frozen=True)
class SheetPanel:
    """One shot: encoded image bytes (PNG/JPEG/WEBP), its shot number and a caption."""

    image: bytes
    number: int
    caption: str
    badge: str | None = None
    """A short mark drawn on the panel's top-right corner (its identity score)."""


@dataclass(frozen=True)
class SheetLayout:
    """Pixel geometry of a sheet; derived from sizes only so it can be checked in tests."""

    columns: int
    rows: int
    panel_width: int
    image_height: int
    padding: int
    title_height: int
    label_height: int
    line_height: int

    @property
    def cell_height(self) -> int:
        text = self.label_height + CAPTION_LINES * self.line_height
        return self.image_height + self.padding // 2 + text

    @property
    def width(self) -> int:
        return self.padding + self.columns * (self.panel_width + self.padding)

    @property
    def height(self) -> int:
        return self.title_height + self.padding + self.rows * (self.cell_height + self.padding)

    def cell_origin(self, index: int) -> tuple[int, int]:
        row, column = divmod(index, self.columns)
        x = self.padding + column * (self.panel_width + self.padding)
        y = self.title_height + self.padding + row * (self.cell_height + self.padding)
        return x, y


@dataclass(frozen=True)
class _Fonts:
    title: ImageFont.FreeTypeFont
    label: ImageFont.FreeTypeFont
    caption: ImageFont.FreeTypeFont


def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow built without FreeType
        raise InputError("this Pillow build has no FreeType support; cannot draw text")
    return font


bundled_font = _font
"""Pillow's bundled FreeType font at ``size`` px: what every drawn text in storyreel uses."""


def _fonts(panel_width: int) -> _Fonts:
    caption = max(10, round(panel_width / 26))
    return _Fonts(
        title=_font(round(caption * 1.6)),
        label=_font(round(caption * 1.15)),
        caption=_font(caption),
    )


def _has_glyph(font: ImageFont.FreeTypeFont, char: str) -> bool:
    missing = font.getmask("\U0010fffd")  # a private-use code point no font draws
    mask = font.getmask(char)
    return mask.size != missing.size or bytes(mask) != bytes(missing)


def drawable(text: str, font: ImageFont.FreeTypeFont) -> str:
    """Replace characters the font cannot draw: known stand-ins, then the base letter
    (é -> e), then "?", so no caption ever shows missing-glyph boxes."""
    out: list[str] = []
    known: dict[str, str] = {}
    for char in text:
        if char not in known:
            if char.isspace() or _has_glyph(font, char):
                known[char] = char
            elif char in _STAND_INS:
                known[char] = _STAND_INS[char]
            else:
                base = "".join(
                    c
                    for c in unicodedata.normalize("NFKD", char)
                    if not unicodedata.combining(c) and _has_glyph(font, c)
                )
                known[char] = base or _UNKNOWN
        out.append(known[char])
    return "".join(out)


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return math.ceil((ascent + descent) * 1.15)


def sheet_layout(
    panel_count: int, *, columns: int, panel_width: int, image_height: int
) -> SheetLayout:
    """Grid geometry for ``panel_count`` shots; fewer shots than columns shrink the grid."""
    fonts = _fonts(panel_width)
    padding = max(8, panel_width // 30)
    used_columns = min(columns, panel_count)
    return SheetLayout(
        columns=used_columns,
        rows=math.ceil(panel_count / used_columns),
        panel_width=panel_width,
        image_height=image_height,
        padding=padding,
        title_height=_line_height(fonts.title) + 2 * padding,
        label_height=_line_height(fonts.label),
        line_height=_line_height(fonts.caption),
    )


def _ellipsize(text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """End ``text`` with an ellipsis, dropping characters until the whole fits ``width``."""
    text = text.rstrip()
    while text and font.getlength(text + ELLIPSIS) > width:
        text = text[:-1].rstrip()
    return text + ELLIPSIS


def _fit(text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    return text if font.getlength(text) <= width else _ellipsize(text, font, width)


def wrap_text(
    text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int = CAPTION_LINES
) -> list[str]:
    """Greedy word wrap by rendered width; overlong words are split, overflow gets "…"."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while font.getlength(current) > width:  # a word wider than the panel: hard split
            cut = len(current) - 1
            while cut > 1 and font.getlength(current[:cut]) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _ellipsize(lines[max_lines - 1], font, width)]
    return lines


def _panel_images(panels: Sequence[SheetPanel]) -> list[Image.Image]:
    return [flatten_rgb(decode_image(p.image, name=f"shot {p.number} image")) for p in panels]


def render_contact_sheet(
    panels: Sequence[SheetPanel],
    *,
    title: str,
    columns: int = 3,
    panel_width: int = 480,
    characters: Sequence[tuple[str, bytes]] = (),
) -> bytes:
    """Draw the sheet and return deterministic PNG bytes.

    Every image keeps its aspect ratio inside a cell as tall as the tallest shot needs, so
    mixed portrait and landscape shots line up in rows.
    """
    if not panels:
        raise InputError("a contact sheet needs at least one panel")
    if columns < 1:
        raise InputError(f"columns must be at least 1, got {columns}")
    if not _MIN_PANEL_WIDTH <= panel_width <= _MAX_PANEL_WIDTH:
        raise InputError(
            f"panel_width must be from {_MIN_PANEL_WIDTH} to {_MAX_PANEL_WIDTH}, got {panel_width}"
        )
    images = _panel_images(panels)
    aspect = min(_MAX_IMAGE_ASPECT, max(img.height / img.width for img in images))
    layout = sheet_layout(
        len(panels),
        columns=columns,
        panel_width=panel_width,
        image_height=round(panel_width * aspect),
    )
    fonts = _fonts(panel_width)

    sheet = Image.new("RGB", (layout.width, layout.height), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    draw.rectangle((0, 0, layout.width, layout.title_height - 1), fill=_TITLE_BAR)
    title_box = layout.width - 2 * layout.padding
    draw.text(
        (layout.padding, layout.title_height // 2),
        _fit(drawable(" ".join(title.split()), fonts.title), fonts.title, title_box),
        font=fonts.title,
        fill=_TITLE_TEXT,
        anchor="lm",
    )
    _character_strip(sheet, draw, characters, layout.title_height, fonts.caption)
    for index, (panel, img) in enumerate(zip(panels, images, strict=True)):
        x, y = layout.cell_origin(index)
        draw.rectangle(
            (x, y, x + layout.panel_width - 1, y + layout.image_height - 1), fill=_IMAGE_MATTE
        )
        shown = ImageOps.contain(
            img, (layout.panel_width, layout.image_height), Image.Resampling.LANCZOS
        )
        sheet.paste(
            shown,
            (
                x + (layout.panel_width - shown.width) // 2,
                y + (layout.image_height - shown.height) // 2,
            ),
        )
        if panel.badge:
            _badge(draw, panel.badge, (x + layout.panel_width - 4, y + 4), fonts.caption)
        text_y = y + layout.image_height + layout.padding // 2
        draw.text((x, text_y), f"Shot {panel.number}", font=fonts.label, fill=_LABEL_TEXT)
        text_y += layout.label_height
        caption = drawable(panel.caption, fonts.caption)
        for line in wrap_text(caption, fonts.caption, layout.panel_width):
            draw.text((x, text_y), line, font=fonts.caption, fill=_CAPTION_TEXT)
            text_y += layout.line_height
    return image_to_png(sheet)


def _badge(
    draw: ImageDraw.ImageDraw, text: str, corner: tuple[int, int], font: ImageFont.FreeTypeFont
) -> None:
    """A dark label hanging from a panel's top-right corner."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    w, h = right - left + 8, bottom - top + 6
    box = (corner[0] - w, corner[1], corner[0], corner[1] + h)
    draw.rectangle(box, fill=(30, 30, 36))
    draw.text((box[0] + 4, box[1] + 3 - top), text, font=font, fill=(250, 250, 245))


def _character_strip(
    sheet: Image.Image,
    draw: ImageDraw.ImageDraw,
    characters: Sequence[tuple[str, bytes]],
    bar_height: int,
    font: ImageFont.FreeTypeFont,
) -> None:
    """The characters' sheets or references, small, at the right end of the title bar."""
    x = sheet.width - 8
    side = max(16, bar_height - 8)
    for name, data in reversed(characters):
        with Image.open(io.BytesIO(data)) as source:
            thumb = ImageOps.contain(source.convert("RGB"), (side, side))
        x -= thumb.width
        sheet.paste(thumb, (x, (bar_height - thumb.height) // 2))
        label = drawable(name, font)
        width = draw.textlength(label, font=font)
        x -= int(width) + 6
        draw.text((x, bar_height // 2), label, font=font, fill=_TITLE_TEXT, anchor="lm")
        x -= 12
