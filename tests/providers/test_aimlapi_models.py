"""AIML API's model table and its zod-style validation messages."""

from __future__ import annotations

from storyreel.providers.aimlapi_models import MODELS, model_for, validate, video_state
from storyreel.providers.types import JobState


def test_validation_names_each_problem() -> None:
    assert validate("flux/schnell", {"prompt": "x"}, "image") == []
    unknown = validate("flux/nope", {"prompt": "x"}, "image")
    assert len(unknown) == 1 and "Invalid enum value" in unknown[0]
    errors = validate(
        "google/nano-banana-edit",
        {"image_urls": ["ftp://x"], "aspect_ratio": "7:3", "num_images": 9},
        "image",
    )
    assert "prompt: Required" in errors
    assert any(e.startswith("aspect_ratio: Invalid enum value") for e in errors)
    assert any(e.startswith("image_urls:") for e in errors)
    assert any(e.startswith("num_images:") for e in errors)
    too_many = {"prompt": "x", "image_urls": ["data:image/png;base64,AA"] * 4}
    assert any("at most 3" in e for e in validate("google/nano-banana-edit", too_many, "image"))


def test_models_and_states() -> None:
    assert model_for("minimax/hailuo-2.3-fast") is MODELS["minimax/hailuo-2.3-fast"]
    assert MODELS["minimax/hailuo-2.3-fast"].default_duration == 10
    assert video_state("generating") is JobState.RUNNING
    assert video_state("error") is JobState.FAILED
    assert video_state(None) is None
