"""When to try a provider call again, as a pure function with its own tests.

Reads and polls are retried freely. A submit POST is retried only when a duplicate is
impossible: the provider answered with an HTTP error (so it did not accept the job) or the
provider de-duplicates submits by our job id. A submit whose outcome is unknown (the
connection dropped after sending) is never blindly repeated: that is how a generation gets
paid twice. ``Retry-After`` is honoured; otherwise capped exponential backoff with jitter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storyreel.errors import ProviderAPIError, QuotaError


class CallKind(StrEnum):
    SUBMIT = "submit"
    POLL = "poll"
    FETCH = "fetch"


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 60.0
    max_attempts: int = 8
    jitter: float = 0.25


@dataclass(frozen=True)
class Decision:
    retry: bool
    delay: float = 0.0
    reason: str = ""


def backoff(policy: RetryPolicy, attempt: int, unit: float = 0.5) -> float:
    """Delay before retry number ``attempt`` (1-based). ``unit`` in [0, 1) is the jitter
    draw, passed in so the function stays pure; 0.5 means no jitter."""
    raw = min(policy.max_delay, policy.base_delay * policy.factor ** max(0, attempt - 1))
    spread = raw * policy.jitter * (2 * unit - 1)
    return max(0.0, min(policy.max_delay, raw + spread))


def decide(
    error: BaseException,
    *,
    call: CallKind,
    attempt: int,
    policy: RetryPolicy = RetryPolicy(),
    idempotent_submit: bool = False,
    unit: float = 0.5,
) -> Decision:
    """Whether to retry after ``error`` on the ``attempt``-th try of ``call``."""
    if not isinstance(error, ProviderAPIError) or isinstance(error, QuotaError):
        return Decision(False, reason="not a transient provider API error")
    if not error.retryable:
        return Decision(False, reason=f"provider said the error is final (HTTP {error.status})")
    if attempt >= policy.max_attempts:
        return Decision(False, reason=f"gave up after {attempt} attempts")
    if call is CallKind.SUBMIT and error.status is None and not idempotent_submit:
        return Decision(False, reason="submit outcome unknown; not repeating a paid call")
    delay = backoff(policy, attempt, unit)
    if error.retry_after is not None:
        delay = max(delay, min(error.retry_after, policy.max_delay * 10))
    return Decision(True, delay=delay, reason=f"transient: {error.message}")
