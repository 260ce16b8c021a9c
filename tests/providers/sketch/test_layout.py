"""The sketch frame's geometry and colour helpers: the caption band is reserved at every
size (layouts never shift), horizon and ground sit above it, seeds are stable across
processes, colours stay in 0..255, and a rounded box never fails on a tiny box."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image, ImageDraw

from storyreel.providers.sketch.layout import (
    clamp,
    desaturate,
    digest_int,
    luminance,
    mix,
    rounded,
    scale,
    stage_for,
)


@pytest.mark.parametrize(("width", "height"), [(64, 64), (1024, 576), (576, 1024), (4096, 2304)])
def test_the_stage_reserves_the_caption_band(width: int, height: int) -> None:
    stage = stage_for(width, height)
    assert 0 < stage.horizon < stage.ground < stage.bottom < height
    assert stage.bottom <= height - 2 * stage.caption_font  # room for two caption lines
    assert stage.caption_font >= 8 and stage.label_font >= 7 and stage.line_width >= 1


def test_the_stage_scales_with_the_frame() -> None:
    small, big = stage_for(640, 360), stage_for(1920, 1080)
    assert big.caption_font > small.caption_font
    assert big.line_width > small.line_width
    assert big.bottom / 1080 == pytest.approx(small.bottom / 360, abs=0.02)


def test_digest_int_is_stable_and_separates_its_parts() -> None:
    # A fixed value: Python's hash() would differ per process, this must not.
    assert digest_int("Ada", 1) == digest_int("Ada", 1)
    assert digest_int("Ada", 1) == int(hashlib.sha256(b"Ada\x1f1").hexdigest()[:16], 16)
    assert digest_int("ab", "c") != digest_int("a", "bc")
    assert 0 <= digest_int("x") < 2**64


def test_colours_stay_in_range() -> None:
    assert clamp(-3) == 0 and clamp(300) == 255 and clamp(12.6) == 13
    assert mix((0, 0, 0), (255, 100, 50), 0.5) == (128, 50, 25)
    assert mix((10, 20, 30), (200, 200, 200), 0) == (10, 20, 30)
    assert scale((200, 100, 0), 2) == (255, 200, 0)
    assert luminance((255, 255, 255)) == pytest.approx(255)
    grey = desaturate((255, 0, 0), 1)
    assert grey[0] == grey[1] == grey[2] == clamp(luminance((255, 0, 0)))
    assert desaturate((255, 0, 0), 0) == (255, 0, 0)


@pytest.mark.parametrize(
    "box", [(10, 10, 12, 11), (10, 10, 10, 10), (20, 20, 10, 10), (0, 0, 50, 30)]
)
def test_rounded_never_fails(box: tuple[float, float, float, float]) -> None:
    image = Image.new("RGB", (64, 64))
    rounded(ImageDraw.Draw(image), box, radius=40, fill=(255, 0, 0))
    assert image.getbbox() is not None  # something was drawn
