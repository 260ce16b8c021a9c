"""Composites put the sheets side by side at one height; masks cover one slot each."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from storyreel.media.composite import BACKGROUND, side_by_side, slot_mask


def _png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def test_sheets_side_by_side_at_one_height_left_to_right() -> None:
    red, blue = _png((100, 200), (255, 0, 0)), _png((300, 300), (0, 0, 255))
    out = Image.open(io.BytesIO(side_by_side([red, blue], height=64))).convert("RGB")
    gap = 64 // 32
    assert out.size == (32 + gap + 64, 64)
    assert out.getpixel((10, 32)) == (255, 0, 0)
    assert out.getpixel((32 + gap + 30, 32)) == (0, 0, 255)
    assert out.getpixel((32, 32)) == BACKGROUND


def test_composite_is_deterministic_and_refuses_nothing() -> None:
    parts = [_png((50, 80), (0, 128, 0)), _png((80, 50), (9, 9, 9))]
    assert side_by_side(parts, height=40) == side_by_side(parts, height=40)
    with pytest.raises(ValueError):
        side_by_side([])


def test_slot_mask_covers_its_strip_with_a_little_overlap() -> None:
    mask = Image.open(io.BytesIO(slot_mask(1, 2, 200, 50)))
    assert mask.size == (200, 50) and mask.mode == "L"
    assert mask.getpixel((150, 25)) == 255
    assert mask.getpixel((95, 25)) == 255  # 10 % overlap past the seam
    assert mask.getpixel((50, 25)) == 0
    with pytest.raises(ValueError):
        slot_mask(2, 2, 200, 50)
