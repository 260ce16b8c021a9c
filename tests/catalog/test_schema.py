"""A model's typical latency in the catalog: every shipped model has one, dated, and it
follows the resolution and the clip length of a job."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from storyreel.catalog import Catalog, ModelEntry

DATED = re.compile(r"\b20\d\d-\d\d")


def entry(**fields: Any) -> ModelEntry:
    base: dict[str, Any] = {
        "id": "fal:test/video",
        "title": "A video model",
        "tasks": ["image-to-video"],
        "durations": [5, 10],
        "default_duration": 5,
        "resolutions": ["480p", "1080p"],
        "default_resolution": "1080p",
        "price": {"kind": "per_second", "by_resolution": {"*": "0.1"}},
        "price_source": "test, 2026-11",
    }
    return ModelEntry.model_validate(base | fields)


def test_every_shipped_model_has_a_dated_typical_latency() -> None:
    for model in Catalog.builtin().models():
        assert model.latency_seconds is not None, model.id
        assert DATED.search(model.latency_source), model.id
        for resolution in model.latency_by_resolution:
            assert resolution in model.resolutions, (model.id, resolution)


def test_images_take_seconds_and_videos_tens_of_seconds() -> None:
    catalog = Catalog.builtin()
    remote = [m for m in catalog.models() if m.provider not in ("sketch", "motion")]
    images = [m.typical_latency() or 0 for m in remote if m.output_kind == "image"]
    videos = [m.typical_latency() or 0 for m in remote if m.output_kind == "video"]
    assert max(images) <= 40 and min(videos) >= 15


def test_latency_follows_resolution_and_clip_length() -> None:
    model = entry(latency_seconds=100, latency_by_resolution={"480p": 40})
    assert model.typical_latency() == 100  # the default resolution, 1080p
    assert model.typical_latency("480p") == 40
    assert model.typical_latency("480p", 10) == 80  # twice the frames of the default 5 s


def test_no_figure_means_unknown() -> None:
    assert entry().typical_latency() is None


def test_a_latency_for_a_resolution_the_model_lacks_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown resolutions"):
        entry(latency_seconds=60, latency_by_resolution={"4k": 300})
    with pytest.raises(ValidationError):
        entry(latency_seconds=0)
