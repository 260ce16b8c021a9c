"""What ``sketch`` takes from a character's reference image: the colour of its clothes.

A sketch cannot copy a face, but it can honour a reference the way a storyboard artist
would: the figure wears the colour the reference shows on the torso, whatever the
description says. The colour is the most common one in the middle band of the figure,
the figure being whatever differs from the image's border (its background).
"""

from __future__ import annotations

import io
from collections import Counter

from PIL import Image

RGB = tuple[int, int, int]
_SIDE = 96
_STEP = 24


def _quantize(c: RGB) -> RGB:
    return (
        c[0] // _STEP * _STEP + _STEP // 2,
        c[1] // _STEP * _STEP + _STEP // 2,
        c[2] // _STEP * _STEP + _STEP // 2,
    )


def _far(a: RGB, b: RGB) -> bool:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) > 60


def torso_colour(data: bytes) -> RGB | None:
    """The reference's torso colour, or None when no figure stands out from the border."""
    with Image.open(io.BytesIO(data)) as source:
        img = source.convert("RGB")
    img.thumbnail((_SIDE, _SIDE))
    w, h = img.size
    px = img.load()
    assert px is not None
    border = Counter(
        _quantize(px[x, y])  # type: ignore[arg-type]
        for x in range(w)
        for y in range(h)
        if x in (0, w - 1) or y in (0, h - 1)
    )
    ground = border.most_common(1)[0][0]
    fg = [(x, y) for y in range(h) for x in range(w) if _far(_quantize(px[x, y]), ground)]  # type: ignore[arg-type]
    if len(fg) < w * h // 100:
        return None
    top, bottom = min(y for _, y in fg), max(y for _, y in fg)
    lo, hi = top + (bottom - top) * 0.4, top + (bottom - top) * 0.6
    left, right = min(x for x, _ in fg), max(x for x, _ in fg)
    mid_lo, mid_hi = left + (right - left) * 0.3, left + (right - left) * 0.7
    band = Counter(
        _quantize(px[x, y])  # type: ignore[arg-type]
        for x, y in fg
        if lo <= y <= hi and mid_lo <= x <= mid_hi
    )
    return band.most_common(1)[0][0] if band else None
