"""Replicate's per-model input rules, shared by the adapter and the simulator: each problem
is one Replicate-style ``invalid_fields`` entry (required, enum, integer type, range, uri
format, Hailuo's 10 s-only-at-768p), and ``owner/name:version`` refs split cleanly."""

from __future__ import annotations

from typing import Any

import pytest

from storyreel.providers.replicate_models import model_for, split_ref, validate_input


def errors(ref: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    model = model_for(ref)
    assert model is not None
    return [(e["type"], e["field"]) for e in validate_input(model, body)]


def test_a_good_body_has_no_errors() -> None:
    body = {"prompt": "a cat", "num_outputs": 4, "aspect_ratio": "16:9", "seed": 7}
    assert errors("black-forest-labs/flux-schnell", body) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [("required", "input")]),
        ({"prompt": "x", "aspect_ratio": "7:5"}, [("enum", "input.aspect_ratio")]),
        ({"prompt": "x", "num_outputs": 2.0}, [("invalid_type", "input.num_outputs")]),
        ({"prompt": "x", "seed": True}, [("invalid_type", "input.seed")]),  # bool is no int
        ({"prompt": "x", "num_outputs": 0}, [("number_gte", "input.num_outputs")]),
        ({"prompt": "x", "num_outputs": 5}, [("number_lte", "input.num_outputs")]),
    ],
)
def test_each_problem_is_one_entry(body: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert errors("black-forest-labs/flux-schnell", body) == expected


def test_the_messages_are_replicates() -> None:
    model = model_for("black-forest-labs/flux-schnell")
    assert model is not None
    (enum,) = validate_input(model, {"prompt": "x", "megapixels": 2})
    assert enum["description"] == 'input.megapixels must be one of the following: "1", "0.25"'
    (low,) = validate_input(model, {"prompt": "x", "output_quality": -1})
    assert low["description"] == "Must be greater than or equal to 0"


def test_files_must_be_uris() -> None:
    body = {"image": "/etc/passwd", "mask": "data:image/png;base64,AAAA"}
    assert errors("allenhooo/lama", body) == [("format", "input.image")]


def test_hailuo_makes_10_s_only_at_768p() -> None:
    body = {"prompt": "x", "first_frame_image": "https://x/a.png", "duration": 10}
    assert errors("minimax/hailuo-2.3-fast", body | {"resolution": "768p"}) == []
    assert errors("minimax/hailuo-2.3-fast", body | {"resolution": "1080p"}) == [
        ("condition_else", "input.duration")
    ]


def test_refs_split_and_unknown_models_are_none() -> None:
    assert split_ref("allenhooo/lama:cdac78a1") == ("allenhooo/lama", "cdac78a1")
    assert split_ref("allenhooo/lama") == ("allenhooo/lama", None)
    assert model_for("nobody/nothing") is None
