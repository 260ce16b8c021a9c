"""OpenAI's failures in storyreel's words, and when a 429 says to come back."""

from __future__ import annotations

import httpx2
import pytest

from storyreel.errors import FailureReason
from storyreel.providers.openai_errors import (
    error_fields,
    parse_reset,
    rate_limit_wait,
    reason_for_error,
    video_failure,
    video_usage,
)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("12ms", 0.012), ("1s", 1.0), ("6m0s", 360.0), ("1h2m", 3720.0), ("0.5s", 0.5)],
)
def test_parse_reset(value: str, seconds: float) -> None:
    assert parse_reset(value) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", [None, "", "soon", "5", "1s garbage", "-1s"])
def test_parse_reset_refuses_what_is_not_a_duration(bad: str | None) -> None:
    assert parse_reset(bad) is None


def _response(headers: dict[str, str], body: object = None) -> httpx2.Response:
    return httpx2.Response(429, headers=headers, json=body)


def test_the_wait_is_the_reset_of_the_limit_that_was_hit() -> None:
    both = _response({"x-ratelimit-reset-requests": "20ms", "x-ratelimit-reset-tokens": "6m0s"})
    assert rate_limit_wait(both, "tokens", "") == 360.0
    assert rate_limit_wait(both, "requests", "") == pytest.approx(0.02)
    # Unknown limit: the message's own hint, else the sooner reset.
    assert rate_limit_wait(both, None, "Please try again in 1.5s.") == 1.5
    assert rate_limit_wait(both, None, "slow down") == pytest.approx(0.02)
    assert rate_limit_wait(_response({}), None, "slow down") is None


def test_reasons_prefer_codes_over_statuses() -> None:
    assert reason_for_error(400, "moderation_blocked") is FailureReason.SAFETY
    assert reason_for_error(429, "insufficient_quota") is FailureReason.QUOTA
    assert reason_for_error(401, None, "invalid_request_error") is FailureReason.AUTH
    # No status at all: the type decides, else it was a transport failure.
    assert reason_for_error(None, None, "invalid_request_error") is FailureReason.INPUT
    assert reason_for_error(None, None) is FailureReason.PROVIDER_DOWN
    assert video_failure("content_policy_violation") is FailureReason.SAFETY
    assert video_failure(None) is FailureReason.MODEL_FAILED


def test_error_fields_tolerate_any_body() -> None:
    assert error_fields(_response({}, {"error": {"code": "x"}})) == {"code": "x"}
    assert error_fields(_response({}, {"error": "flat"})) == {}
    assert error_fields(httpx2.Response(500, content=b"<html>")) == {}


def test_video_usage_reads_seconds_and_size() -> None:
    usage = video_usage({"seconds": "8", "size": "1280x720"})
    assert (usage.seconds, usage.width, usage.height) == (8.0, 1280, 720)
