"""Shared frame geometry and colour helpers for the sketch renderer.

Scenery, figures and the caption band must agree on where the ground line and the caption
band are, otherwise figures float or stand inside the caption; keeping the numbers in one
place is what keeps them agreeing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PIL import ImageDraw, ImageFont

RGB = tuple[int, int, int]

MIN_SIZE = 64
MAX_SIZE = 4096


@dataclass(frozen=True)
class Stage:
    """Where things go in a frame of a given size, in pixels."""

    width: int
    height: int
    bottom: int  # top of the caption band; figures are laid out above it
    horizon: int
    ground: int  # where the feet of full figures stand in a wide shot
    caption_font: int
    label_font: int
    line_width: int  # outline width, so strokes look the same at every size


def caption_font_size(height: int) -> int:
    return max(8, round(height * 0.036))


def stage_for(width: int, height: int) -> Stage:
    """The caption band is reserved even without a caption so layouts never shift."""
    size = caption_font_size(height)
    band = 2 * round(size * 1.25) + round(size * 0.8)
    bottom = height - band
    return Stage(
        width=width,
        height=height,
        bottom=bottom,
        horizon=round(bottom * 0.58),
        ground=round(bottom * 0.93),
        caption_font=size,
        label_font=max(7, round(height * 0.027)),
        line_width=max(1, round(height / 300)),
    )


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled scalable font: identical glyphs on every machine, no system fonts."""
    return ImageFont.load_default(size=size)


def digest_int(*parts: object) -> int:
    """A stable 64-bit number for ``parts``; Python's ``hash()`` is salted per process."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def clamp(value: float) -> int:
    return max(0, min(255, round(value)))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        clamp(a[0] + (b[0] - a[0]) * t),
        clamp(a[1] + (b[1] - a[1]) * t),
        clamp(a[2] + (b[2] - a[2]) * t),
    )


def scale(c: RGB, f: float) -> RGB:
    return (clamp(c[0] * f), clamp(c[1] * f), clamp(c[2] * f))


def luminance(c: RGB) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def desaturate(c: RGB, t: float) -> RGB:
    g = clamp(luminance(c))
    return mix(c, (g, g, g), t)


def rounded(
    d: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    radius: float,
    **kw: Any,
) -> None:
    """``rounded_rectangle`` that never fails: Pillow rejects a radius wider than the box."""
    x0, y0, x1, y1 = (round(v) for v in box)
    x1, y1 = max(x0, x1), max(y0, y1)
    r = min(round(radius), (x1 - x0) // 2, (y1 - y0) // 2)
    if r < 1:
        d.rectangle((x0, y0, x1, y1), **kw)
    else:
        d.rounded_rectangle((x0, y0, x1, y1), radius=r, **kw)
