"""A webtoon: the storyboard as one vertical strip to scroll, cut into uploadable parts.

Seed 002's CanvasToon lays panels 800 px wide, one under the other, with white gutters and
caption boxes. Webtoon hosts take images up to 1280x20000 px, so the strip is split into
parts of at most ``MAX_PART_HEIGHT`` pixels, always between panels (a panel is never cut in
half); a part holds as many whole panels as fit. The PNGs are deterministic: the same
panels and captions give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageOps

from storyreel.errors import InputError
from storyreel.media.contact_sheet import bundled_font, drawable, wrap_text

STRIP_WIDTH = 800
MAX_PART_WIDTH = 1280
MAX_PART_HEIGHT = 20_000
GUTTER = 60
MARGIN = 40
CAPTION_LINES = 4

_PAPER = (255, 255, 255)
_BOX = (255, 255, 255)
_INK = (20, 20, 20)


@dataclass(frozen=True)
class StripPanel:
    """One shot: its panel image (encoded bytes) and the text in its caption box."""

    image: bytes
    caption: str = ""


def _block(panel: StripPanel, width: int, max_height: int) -> Image.Image:
    """One panel with its caption box above it, ``width`` wide."""
    with Image.open(io.BytesIO(panel.image)) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    inner = width - 2 * MARGIN
    height = max(1, round(image.height * inner / image.width))
    font = bundled_font(26)
    lines = wrap_text(drawable(panel.caption, font), font, inner - 40, CAPTION_LINES)
    line_height = 34
    box = len(lines) * line_height + 28 if lines else 0
    room = max_height - box - (GUTTER if box else 0)
    height = min(height, room)
    image = ImageOps.fit(image, (inner, height), Image.Resampling.LANCZOS)
    block = Image.new("RGB", (width, box + (GUTTER // 2 if box else 0) + height), _PAPER)
    draw = ImageDraw.Draw(block)
    if box:
        draw.rounded_rectangle(
            (MARGIN, 0, width - MARGIN - 1, box - 1), radius=14, fill=_BOX, outline=_INK, width=3
        )
        for index, line in enumerate(lines):
            draw.text((MARGIN + 20, 14 + index * line_height), line, font=font, fill=_INK)
    top = box + (GUTTER // 2 if box else 0)
    block.paste(image, (MARGIN, top))
    draw.rectangle((MARGIN, top, MARGIN + inner - 1, top + height - 1), outline=_INK, width=3)
    return block


def render_webtoon(
    panels: Sequence[StripPanel],
    *,
    width: int = STRIP_WIDTH,
    max_height: int = MAX_PART_HEIGHT,
) -> list[bytes]:
    """The strip as PNG parts, top to bottom, each at most ``width`` x ``max_height``."""
    if not panels:
        raise InputError("a webtoon needs at least one panel")
    if not 2 * MARGIN + 64 <= width <= MAX_PART_WIDTH:
        raise InputError(f"webtoon width must be from {2 * MARGIN + 64} to {MAX_PART_WIDTH}")
    if max_height < 2 * GUTTER + 256:
        raise InputError(f"webtoon parts must be at least {2 * GUTTER + 256} px tall")
    blocks = [_block(panel, width, max_height - 2 * GUTTER) for panel in panels]
    parts: list[list[Image.Image]] = [[]]
    used = GUTTER
    for block in blocks:
        if parts[-1] and used + block.height + GUTTER > max_height:
            parts.append([])
            used = GUTTER
        parts[-1].append(block)
        used += block.height + GUTTER
    return [_stack(part, width) for part in parts]


def _stack(blocks: list[Image.Image], width: int) -> bytes:
    height = GUTTER + sum(block.height + GUTTER for block in blocks)
    page = Image.new("RGB", (width, height), _PAPER)
    y = GUTTER
    for block in blocks:
        page.paste(block, (0, y))
        y += block.height + GUTTER
    buffer = io.BytesIO()
    page.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
