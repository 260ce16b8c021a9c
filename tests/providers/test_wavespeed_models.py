"""WaveSpeed's model table and validation, as the adapter and the simulator share them."""

from __future__ import annotations

import pytest

from storyreel.providers.wavespeed_models import (
    MAX_PIXELS,
    MIN_PIXELS,
    MODELS,
    model_for,
    parse_size,
    seedream_size,
    validate_input,
)


@pytest.mark.parametrize("bad", [None, 2048, "2048x2048", "2048*", "*2048", "a*b", "1*2*3"])
def test_parse_size_refuses_what_is_not_w_star_h(bad: object) -> None:
    assert parse_size(bad) is None


def test_seedream_size_stays_in_the_pixel_range() -> None:
    for width, height in ((512, 384), (8000, 8000), (1000, 3000), (2048, 2048)):
        size = parse_size(seedream_size(width, height, None))
        assert size is not None
        assert MIN_PIXELS <= size[0] * size[1] <= MAX_PIXELS
    extreme = parse_size(seedream_size(100, 4000, None))  # 1:40: the long side is capped
    assert extreme is not None and max(extreme) == 4096
    assert seedream_size(None, None, "16:9") == "2560*1440"
    assert seedream_size(None, None, None) is None


def test_validation_messages() -> None:
    edit = MODELS["bytedance/seedream-v4.5/edit"]
    assert validate_input(edit, {"prompt": "x", "images": ["https://u"]}) == []
    assert "images is required" in validate_input(edit, {"prompt": "x"})
    assert any(
        "out of range" in e
        for e in validate_input(edit, {"prompt": "x", "images": ["u"], "size": "64*64"})
    )
    video = model_for("bytedance/seedance-v1.5-pro/image-to-video")
    assert video is not None and video.kind == "video"
    errors = validate_input(video, {"prompt": "x", "image": "u", "duration": 3, "seed": -2})
    assert len(errors) == 2
    assert model_for("nope") is None
