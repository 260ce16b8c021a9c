"""The retry policy is a pure function: these tests are its specification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyreel.engine.retry import (
    CallKind,
    RetryPolicy,
    backoff,
    decide,
)
from storyreel.errors import InputError, ProviderAPIError, ProviderJobError, QuotaError

POLICY = RetryPolicy(base_delay=1.0, factor=2.0, max_delay=60.0, max_attempts=5, jitter=0.25)


def api(
    status: int | None, retryable: bool = True, retry_after: float | None = None
) -> ProviderAPIError:
    return ProviderAPIError("boom", status=status, retryable=retryable, retry_after=retry_after)


@pytest.mark.parametrize("call", list(CallKind))
def test_job_errors_quota_and_input_errors_are_never_retried(call: CallKind) -> None:
    for error in (ProviderJobError("safety"), QuotaError("credits", status=402), InputError("x")):
        assert not decide(error, call=call, attempt=1, policy=POLICY).retry


def test_non_retryable_api_error_is_final() -> None:
    assert not decide(api(400, retryable=False), call=CallKind.POLL, attempt=1).retry


def test_polls_retry_transient_errors_with_growing_delay() -> None:
    delays = [
        decide(api(503), call=CallKind.POLL, attempt=n, policy=POLICY).delay for n in (1, 2, 3)
    ]
    assert delays == [1.0, 2.0, 4.0]


def test_gives_up_after_max_attempts() -> None:
    verdict = decide(api(503), call=CallKind.POLL, attempt=5, policy=POLICY)
    assert not verdict.retry and "5 attempts" in verdict.reason


def test_submit_is_retried_only_when_the_provider_answered() -> None:
    assert decide(api(429), call=CallKind.SUBMIT, attempt=1, policy=POLICY).retry
    assert decide(api(503), call=CallKind.SUBMIT, attempt=1, policy=POLICY).retry
    unknown = decide(api(None), call=CallKind.SUBMIT, attempt=1, policy=POLICY)
    assert not unknown.retry and "unknown" in unknown.reason


def test_unknown_submit_outcome_is_retried_when_the_provider_deduplicates() -> None:
    verdict = decide(
        api(None), call=CallKind.SUBMIT, attempt=1, policy=POLICY, idempotent_submit=True
    )
    assert verdict.retry


def test_retry_after_is_honoured_when_longer_than_backoff() -> None:
    assert (
        decide(api(429, retry_after=17), call=CallKind.POLL, attempt=1, policy=POLICY).delay == 17
    )
    assert (
        decide(api(429, retry_after=0.1), call=CallKind.POLL, attempt=3, policy=POLICY).delay == 4
    )


@given(attempt=st.integers(1, 50), unit=st.floats(0, 1, exclude_max=True))
def test_backoff_stays_within_cap_and_jitter_band(attempt: int, unit: float) -> None:
    delay = backoff(POLICY, attempt, unit)
    raw = min(POLICY.max_delay, POLICY.base_delay * POLICY.factor ** (attempt - 1))
    assert 0 <= delay <= POLICY.max_delay
    assert raw * (1 - POLICY.jitter) - 1e-9 <= delay <= raw * (1 + POLICY.jitter) + 1e-9
