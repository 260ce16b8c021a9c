"""The offline identity scorer: real pixels, Pillow and numpy, no weights.

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
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray
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


def _best_window(
    bins: Image.Image, ref_hist: tuple[float, ...], aspect: float
) -> tuple[int, int, int, int]:
    """The window whose colour histogram best intersects the reference's: windows of the
    reference's proportions at every size in ``_SCALES``, stepped by a quarter of their
    size, the first best in scale, row, column order.

    Every window's histogram comes from one integral histogram (four lookups per window
    instead of a crop each), and the intersection is summed bin by bin in the same order
    as ``_intersection``, so the scores, and so the chosen box, are exactly those of
    scoring each window on its own."""
    levels = len(ref_hist)
    index = np.asarray(bins, dtype=np.intp)
    height, width = index.shape
    onehot = np.zeros((height, width, levels), dtype=np.int32)
    np.put_along_axis(onehot, index[..., None], 1, axis=2)
    integral = np.zeros((height + 1, width + 1, levels), dtype=np.int32)
    integral[1:, 1:] = onehot.cumsum(axis=0).cumsum(axis=1)
    ref = np.asarray(ref_hist, dtype=np.float64)
    best: tuple[float, tuple[int, int, int, int]] = (-1.0, (0, 0, width, height))
    for fraction in _SCALES:
        h = max(4, round(_SEARCH_HEIGHT * fraction))
        w = max(2, min(width, round(h * aspect)))
        step_x, step_y = max(1, w // 4), max(1, h // 4)
        tops = np.arange(0, height - h + 1, step_y)
        lefts = np.arange(0, width - w + 1, step_x)
        if not len(tops) or not len(lefts):
            continue
        t, left = tops[:, None], lefts[None, :]
        counts = (
            integral[t + h, left + w]
            - integral[t, left + w]
            - integral[t + h, left]
            + integral[t, left]
        ).reshape(-1, levels)
        totals = counts.sum(axis=1)
        hists = counts / np.where(totals == 0, 1, totals)[:, None]
        scores = np.zeros(len(counts), dtype=np.float64)
        for b in range(levels):
            scores = scores + np.minimum(ref[b], hists[:, b])
        at = int(np.argmax(scores))
        if scores[at] > best[0]:
            top, left_at = int(tops[at // len(lefts)]), int(lefts[at % len(lefts)])
            best = (float(scores[at]), (left_at, top, left_at + w, top + h))
    return best[1]


_CHUNK = 1 << 22
"""Window pixels compared per numpy pass in ``_closest_window`` (bounds its memory)."""


_BLOCKS = (1, 3, 8)
"""Blocks per side of a window whose sums bound its difference from below, coarse first."""


def _closest_window(
    image: NDArray[np.uint8], ref: NDArray[np.uint8], limit: float
) -> tuple[int, int] | None:
    """The (left, top) of the first window, in row-major order, with the least mean
    absolute difference from ``ref``, when that difference is at most ``limit``; else None.

    Cut a window and the reference into the same blocks: the sum of the blocks' absolute
    sum differences is at most the sum of the pixels' absolute differences. That bound
    comes from an integral image for every window at once, and only the few windows it
    leaves within ``limit`` are compared pixel by pixel: the exhaustive search's answer,
    at a fraction of its cost."""
    h, w = ref.shape
    area = h * w
    integral = np.zeros((image.shape[0] + 1, image.shape[1] + 1), dtype=np.int64)
    integral[1:, 1:] = image.astype(np.int64).cumsum(axis=0).cumsum(axis=1)
    rows, cols = image.shape[0] - h + 1, image.shape[1] - w + 1
    signed = ref.astype(np.int64)
    tops, lefts = np.divmod(np.arange(rows * cols), cols)
    for blocks in _BLOCKS:  # coarse bounds first, each on the windows the last one kept
        ys = np.linspace(0, h, min(blocks, h) + 1).round().astype(int)
        xs = np.linspace(0, w, min(blocks, w) + 1).round().astype(int)
        bound = np.zeros(len(tops), dtype=np.int64)
        for y0, y1 in pairwise(ys.tolist()):
            for x0, x1 in pairwise(xs.tolist()):
                block = (
                    integral[tops + y1, lefts + x1]
                    - integral[tops + y0, lefts + x1]
                    - integral[tops + y1, lefts + x0]
                    + integral[tops + y0, lefts + x0]
                )
                bound += np.abs(block - int(signed[y0:y1, x0:x1].sum()))
        kept = bound <= limit * area
        tops, lefts = tops[kept], lefts[kept]
    if not len(tops):
        return None
    windows = np.lib.stride_tricks.sliding_window_view(image.astype(np.int16), (h, w))
    mads = np.empty(len(tops), dtype=np.float64)
    step = max(1, _CHUNK // area)
    for start in range(0, len(tops), step):
        part = windows[tops[start : start + step], lefts[start : start + step]]
        mads[start : start + step] = np.abs(part - signed.astype(np.int16)).sum(axis=(1, 2)) / area
    best = int(np.argmin(mads))
    if mads[best] > limit:
        return None
    return int(lefts[best]), int(tops[best])


def locate(panel_data: bytes, ref: Figure) -> Found:
    """Where ``ref`` best matches in the panel, and how well."""
    panel = _open(panel_data)
    scale = _SEARCH_HEIGHT / panel.height
    small = panel.resize((max(1, round(panel.width * scale)), _SEARCH_HEIGHT))
    bins = _bins(small)
    aspect = ref.image.width / ref.image.height
    box = _best_window(bins, ref.hist, aspect)
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
    if small.width < w or small.height < h:
        return False
    found = _closest_window(np.asarray(small), np.asarray(small_ref), _COPY_MAD * 4)
    if found is None:
        return False
    at = found
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
