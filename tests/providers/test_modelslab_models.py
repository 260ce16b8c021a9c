"""ModelsLab's per-model input rules, shared by the adapter and the simulator: a model on
the wrong route or API version is refused whole, every other problem is one ModelsLab-style
message, numbers may come as numeric strings, and the fetch path follows the submit's."""

from __future__ import annotations

from typing import Any

import pytest

from storyreel.providers.modelslab_models import fetch_path, number, validate


def test_a_good_body_has_no_errors() -> None:
    body = {"model_id": "flux", "prompt": "a cat", "samples": "4", "width": 1024, "height": 512}
    assert validate("v6", "text-to-image", body) == []


@pytest.mark.parametrize(
    ("version", "route", "body"),
    [
        ("v6", "text-to-image", {"model_id": "no-such-model", "prompt": "x"}),
        ("v7", "text-to-image", {"model_id": "flux", "prompt": "x"}),  # v6/v8 only
        ("v7", "text-to-image", {"model_id": "nano-banana", "prompt": "x"}),  # edit only
    ],
)
def test_a_model_off_its_endpoint_is_refused_whole(
    version: str, route: Any, body: dict[str, Any]
) -> None:
    assert validate(version, route, body) == [
        f"Model {body['model_id']} is not available on this endpoint."
    ]


def test_no_model_id_is_the_only_error() -> None:
    assert validate("v6", "text-to-image", {"prompt": ""}) == ["The model id field is required."]


def test_every_problem_is_one_message() -> None:
    body = {
        "model_id": "flux",
        "prompt": "  ",
        "samples": 8,
        "width": 1030,
        "height": "2048",
        "strength": "1.5",
        "num_frames": 0,
    }
    assert validate("v6", "text-to-image", body) == [
        "The prompt field is required.",
        "The samples field must be between 1 and 7.",
        "The width must be a multiple of 8 not greater than 1024.",
        "The height must be a multiple of 8 not greater than 1024.",
        "The strength field must be between 0 and 1.",
        "The num frames field must be at least 1.",
    ]


def test_enums_and_reference_images() -> None:
    good = {"model_id": "nano-banana", "prompt": "x", "init_image": ["https://x/a.png"]}
    assert validate("v7", "image-to-image", good) == []
    assert validate("v7", "image-to-image", {"model_id": "nano-banana", "prompt": "x"}) == [
        "The init image field is required."
    ]
    bad = good | {"init_image": ["https://x/a.png", "file:///etc/passwd", "https://x/c.png"]}
    assert validate("v7", "image-to-image", bad) == [
        "At most 2 init images are allowed.",
        "The init image must be a valid URL.",
    ]
    assert validate(
        "v7", "text-to-image", {"model_id": "imagen-4", "prompt": "x", "aspect_ratio": "5:4"}
    ) == ["The selected aspect ratio is invalid."]


def test_numbers_may_be_numeric_strings_but_not_booleans() -> None:
    assert number("2.5") == 2.5 and number(3) == 3.0
    assert number(True) is None and number("two") is None and number(None) is None


def test_the_fetch_path_follows_the_submit() -> None:
    assert fetch_path("/api/v7/video-fusion/image-to-video", "abc") == (
        "/api/v7/video-fusion/fetch/abc"
    )
