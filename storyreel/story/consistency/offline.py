"""The offline identity scorer: real pixels, Pillow only, no weights.

What it can see, honestly: a character's *colours* (a histogram of the figure, the figure
being what differs from its reference's plain background) and its *silhouette* (the shape
those colours make, at 8 x 16). It finds the character in a panel by sliding windows of the
reference figure's proportions at several sizes and keeping the one whose colours match
best, so a character that moved or was drawn bigger still scores high; recoloured clothes or
another figure score low. What it cannot see: faces, identity under a change of outfit,
two characters who dress alike, pose. The embedding scorer (``embedding.py``) sees more.

The near-copy guard: a panel that contains the reference image itself at its own size
(figure *and* its background, pixel for pixel) is a copy, however high it scores.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageStat

_LEVELS = 4  # per channel: 64 colour bins
_SEARCH_HEIGHT = 72
_SCALES = (0.3, 0.42, 0.56, 0.72, 0.9)
_SHAPE = (8, 16)
_COPY_MAD = 4.0
"""Mean absolute difference (0-255) under which a same-size region is the reference itself."""


@dataclass(frozen=True)
class Figure:
    """A character's reference, reduced to what this scorer compares."""

    image: Image.Image  # RGB crop around the figure, with some of its background
    mask: Image.Image  # L, 255 where the figure is
    hist: tuple[float, ...]
    shape: tuple[float, ...]


@dataclass(frozen=True)
class Found:
    """The character located in a panel: where, how alike, and whether it is a copy."""

    box: tuple[int, int, int, int]
    similarity: float
    copy: bool
    hist: tuple[float, ...]
    shape: tuple[float, ...]


def _open(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as source:
        return source.convert("RGB")


def _bins(img: Image.Image) -> Image.Image:
    """Each pixel's colour bin (0-63) as an L image."""
    step = 256 // _LEVELS
    r, g, b = (band.point(lambda v: v // step) for band in img.split())
    return Image.merge("RGB", (r, g, b)).convert("L", (_LEVELS * _LEVELS, _LEVELS, 1, 0))


def _normalised(counts: list[int]) -> tuple[float, ...]:
    total = sum(counts[: _LEVELS**3]) or 1
    return tuple(c / total for c in counts[: _LEVELS**3])


def _shape_of(mask: Image.Image) -> tuple[float, ...]:
    small = mask.resize(_SHAPE, Image.Resampling.BOX)
    return tuple(v / 255 for v in small.tobytes())


def _intersection(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return sum(min(x, y) for x, y in zip(a, b, strict=True))


def _shape_similarity(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """1 - mean absolute difference of two silhouettes (1: the same shape)."""
    return 1 - sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def similarity(hist_a: tuple[float, ...], shape_a: tuple[float, ...], b: Found | Figure) -> float:
    """How alike two figures are, 0-1: colours weigh 0.6, silhouette 0.4."""
    return 0.6 * _intersection(hist_a, b.hist) + 0.4 * _shape_similarity(shape_a, b.shape)


def reference_figure(data: bytes) -> Figure:
    """The figure in a reference image: what differs from its border's colour."""
    img = _open(data)
    border = [img.getpixel((x, y)) for x in (0, img.width - 1) for y in (0, img.height - 1)]
    colour = max(set(border), key=border.count)
    ground = Image.new("RGB", img.size, colour)
    diff = ImageChops.difference(img, ground).convert("L").point(lambda v: 255 if v > 24 else 0)
    box = diff.getbbox() or (0, 0, img.width, img.height)
    pad_x, pad_y = (box[2] - box[0]) // 10, (box[3] - box[1]) // 20
    box = (
        max(0, box[0] - pad_x),
        max(0, box[1] - pad_y),
        min(img.width, box[2] + pad_x),
        min(img.height, box[3] + pad_y),
    )
    crop, mask = img.crop(box), diff.crop(box)
    hist = _normalised(_bins(crop).histogram(mask))
    return Figure(image=crop, mask=mask, hist=hist, shape=_shape_of(mask))


def _window_mask(bins: Image.Image, ref: Figure) -> Image.Image:
    """Pixels whose colour the reference figure has: the figure, as far as colour tells."""
    wanted = [255 if i < len(ref.hist) and ref.hist[i] > 0.01 else 0 for i in range(256)]
    return bins.point(wanted)


def locate(panel_data: bytes, ref: Figure) -> Found:
    """Where ``ref`` best matches in the panel, and how well."""
    panel = _open(panel_data)
    scale = _SEARCH_HEIGHT / panel.height
    small = panel.resize((max(1, round(panel.width * scale)), _SEARCH_HEIGHT))
    bins = _bins(small)
    aspect = ref.image.width / ref.image.height
    best: tuple[float, tuple[int, int, int, int]] = (-1.0, (0, 0, small.width, small.height))
    for fraction in _SCALES:
        h = max(4, round(_SEARCH_HEIGHT * fraction))
        w = max(2, min(small.width, round(h * aspect)))
        step_x, step_y = max(1, w // 4), max(1, h // 4)
        for top in range(0, small.height - h + 1, step_y):
            for left in range(0, small.width - w + 1, step_x):
                box = (left, top, left + w, top + h)
                hist = _normalised(bins.crop(box).histogram())
                score = _intersection(ref.hist, hist)
                if score > best[0]:
                    best = (score, box)
    box = best[1]
    crop = bins.crop(box)
    mask = _window_mask(crop, ref)
    hist = _normalised(crop.histogram(mask)) if mask.getbbox() else (0.0,) * len(ref.hist)
    shape = _shape_of(mask)
    native = tuple(round(v / scale) for v in box)
    found = Found(
        box=(native[0], native[1], native[2], native[3]),
        similarity=0.0,
        copy=False,
        hist=hist,
        shape=shape,
    )
    sim = similarity(ref.hist, ref.shape, found)
    return Found(
        box=found.box,
        similarity=round(sim, 4),
        copy=_is_copy(panel, ref),
        hist=hist,
        shape=shape,
    )


def _mad(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(a, b)).mean[0])


def _is_copy(panel: Image.Image, ref: Figure) -> bool:
    """Whether the reference crop appears in the panel at its own size, pixel for pixel:
    searched at a reduced size over the whole panel, then confirmed at full size."""
    if ref.image.width > panel.width or ref.image.height > panel.height:
        return False
    f = max(1, ref.image.height // 48)
    w, h = max(1, ref.image.width // f), max(1, ref.image.height // f)
    grey_ref = ref.image.convert("L")
    small_ref = grey_ref.resize((w, h), Image.Resampling.BOX)
    grey = panel.convert("L")
    small = grey.resize((max(1, panel.width // f), max(1, panel.height // f)), Image.Resampling.BOX)
    best, at = 255.0, (0, 0)
    for top in range(small.height - h + 1):
        for left in range(small.width - w + 1):
            mad = _mad(small.crop((left, top, left + w, top + h)), small_ref)
            if mad < best:
                best, at = mad, (left, top)
    if best > _COPY_MAD * 4:
        return False
    width, height = ref.image.size
    for dy in range(-f, f + 1):
        for dx in range(-f, f + 1):
            left, top = at[0] * f + dx, at[1] * f + dy
            if left < 0 or top < 0 or left + width > panel.width or top + height > panel.height:
                continue
            if _mad(grey.crop((left, top, left + width, top + height)), grey_ref) < _COPY_MAD:
                return True
    return False


class OfflineScorer:
    """The ``offline`` scorer (the default)."""

    name = "offline"

    def reference(self, data: bytes) -> Figure:
        return reference_figure(data)

    def find(self, panel: bytes, ref: Figure) -> Found:
        return locate(panel, ref)

    def between(self, a: Found, b: Found) -> float:
        return round(similarity(a.hist, a.shape, b), 4)
