"""Gemini's failure words mapped to storyreel's: a refusal is never laundered into a model
failure (which would fail over), a detail reason beats the status, a Veo operation's gRPC
number is read as its status, and thinking tokens are billed as output."""

from __future__ import annotations

import pytest

from storyreel.errors import FailureReason
from storyreel.providers.gemini_errors import error_code, error_reason, finish_reason, usage_of


@pytest.mark.parametrize("finish", ["SAFETY", "IMAGE_SAFETY", "RECITATION", "SPII"])
def test_policy_finishes_are_safety(finish: str) -> None:
    assert finish_reason(finish) is FailureReason.SAFETY


@pytest.mark.parametrize("finish", ["NO_IMAGE", "STOP", "MAX_TOKENS", "OTHER", ""])
def test_other_finishes_are_the_model_failing(finish: str) -> None:
    assert finish_reason(finish) is FailureReason.MODEL_FAILED


def test_a_detail_reason_beats_the_status() -> None:
    # Google answers a bad key with 400 INVALID_ARGUMENT: the detail says it is auth.
    error = {
        "code": 400,
        "status": "INVALID_ARGUMENT",
        "details": [{"@type": "x"}, "junk", {"reason": "API_KEY_INVALID"}],
    }
    assert error_code(error) == "API_KEY_INVALID"
    assert error_reason(error_code(error), http_status=400) is FailureReason.AUTH


def test_the_status_when_no_detail_decides() -> None:
    error = {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [{"reason": "OTHER"}]}
    assert error_code(error) == "RESOURCE_EXHAUSTED"
    assert error_reason("RESOURCE_EXHAUSTED") is FailureReason.RATE_LIMITED
    assert error_reason("FAILED_PRECONDITION") is FailureReason.QUOTA


@pytest.mark.parametrize(
    ("code", "status"), [(14, "UNAVAILABLE"), (3, "INVALID_ARGUMENT"), (16, "UNAUTHENTICATED")]
)
def test_a_veo_operation_error_spells_out_its_grpc_code(code: int, status: str) -> None:
    assert error_code({"code": code, "message": "m"}) == status


def test_unknown_codes_fall_back_to_the_http_status() -> None:
    assert error_code({"code": 99}) is None
    assert error_code({"code": "14"}) is None  # a number only when it is one
    assert error_reason(None, http_status=503) is FailureReason.PROVIDER_DOWN
    assert error_reason("SOMETHING_NEW", http_status=401) is FailureReason.AUTH
    assert error_reason("SOMETHING_NEW") is FailureReason.MODEL_FAILED


def test_usage_counts_thinking_tokens_as_output() -> None:
    usage = usage_of(
        {"promptTokenCount": 12, "candidatesTokenCount": 1290, "thoughtsTokenCount": 100}
    )
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.count) == (12, 1390, 1)


def test_usage_ignores_what_is_not_a_count() -> None:
    assert usage_of(None) is None
    assert usage_of([1, 2]) is None
    usage = usage_of({"promptTokenCount": "12", "candidatesTokenCount": None})
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens) == (None, None)
