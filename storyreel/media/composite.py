"""Composite references and region masks for character consistency.

A model that takes fewer reference images than a shot has characters gets their sheets side
by side in one image (left to right in the order the prompt names them); an IP-Adapter
model may confine each character's adapter to its slot of the frame with a mask. Both are
deterministic (same inputs, same bytes), so the request that carries them hashes the same
on every run and is never bought twice.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image

from .images import image_to_png

BACKGROUND = (236, 236, 232)
SLOT_HEIGHT = 768


def side_by_side(images: Sequence[bytes], *, height: int = SLOT_HEIGHT) -> bytes:
    """The images scaled to one height and placed left to right on a neutral ground, as PNG."""
    if not images:
        raise ValueError("a composite needs at least one image")
    opened: list[Image.Image] = []
    for data in images:
        with Image.open(io.BytesIO(data)) as source:
            rgb = source.convert("RGB")
        width = max(1, round(rgb.width * height / rgb.height))
        opened.append(rgb.resize((width, height), Image.Resampling.LANCZOS))
    gap = height // 32
    canvas = Image.new(
        "RGB", (sum(i.width for i in opened) + gap * (len(opened) - 1), height), BACKGROUND
    )
    x = 0
    for part in opened:
        canvas.paste(part, (x, 0))
        x += part.width + gap
    return image_to_png(canvas)


def slot_mask(index: int, count: int, width: int, height: int) -> bytes:
    """A white-on-black mask of slot ``index`` of ``count`` equal vertical strips (with a
    little overlap so a character standing on the seam is not cut), as PNG."""
    if not 0 <= index < count:
        raise ValueError(f"slot {index} is not one of {count}")
    mask = Image.new("L", (width, height), 0)
    strip = width / count
    overlap = strip * 0.1
    left = max(0, round(index * strip - overlap))
    right = min(width, round((index + 1) * strip + overlap))
    mask.paste(255, (left, 0, right, height))
    return image_to_png(mask)
