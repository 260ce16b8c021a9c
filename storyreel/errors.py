"""The one exception tree of storyreel.

Every error a user can see is a ``StoryreelError``; the CLI prints its message on one line
and the API maps its class to an HTTP status in one handler::

    StoryreelError
    ├── InputError            bad request: clear message, HTTP 4xx, nothing written
    │   ├── NotFound          an id, file or model that does not exist (HTTP 404)
    │   ├── WebhookRejected   a webhook that is forged, replayed or not for us (HTTP 401)
    │   └── Unauthorized      an API request without a known API key (HTTP 401)
    ├── ConfigError           settings that cannot work (missing key, bad URL)
    ├── BudgetExceeded        the estimate or spend would pass a configured cap
    ├── MediaError            encoding/decoding failed on our side (ffmpeg, Pillow)
    ├── WaitTimeout           a synchronous API call gave up waiting for its job (504)
    └── ProviderError         anything a provider did
        ├── ProviderAPIError  their API failed: HTTP status, retryable, retry_after
        │   └── QuotaError    out of credits / plan limit (not retried)
        └── ProviderJobError  the model ran and failed: safety block, bad input

The split between ``ProviderAPIError`` and ``ProviderJobError`` follows replicate-python:
an API failure may be retried (the same request can still succeed), a job failure may
not (the model already ran and said no), but it may fail over to another model.

Every failure also has one ``FailureReason``. Providers map their HTTP statuses, error
codes and finish reasons into it (each provider module owns its mapping), and failover,
retries, budgets and the messages users read decide on the enum, never on a provider's raw
string: Gemini's ``IMAGE_SAFETY`` and OpenAI's ``moderation_blocked`` are both ``SAFETY``.
"""

from __future__ import annotations

from enum import StrEnum


class FailureReason(StrEnum):
    """Why a job failed, in words every layer shares."""

    INPUT = "input"
    """The request itself is wrong (a 400/422 validation answer, a missing field)."""
    SAFETY = "safety"
    """The provider refused the prompt or the output for content."""
    QUOTA = "quota"
    """Out of credits or over a plan limit."""
    AUTH = "auth"
    """Missing, wrong or unauthorised key."""
    RATE_LIMITED = "rate_limited"
    """Too many requests, and retrying within the job's time did not get through."""
    PROVIDER_DOWN = "provider_down"
    """An outage: 5xx, connection refused, the provider's infrastructure failed."""
    TIMEOUT = "timeout"
    """No result in the time we or the provider allow."""
    CANCELED = "canceled"
    """Canceled by the user (or by the provider on the user's behalf)."""
    MODEL_FAILED = "model_failed"
    """The model ran and produced nothing usable, for no reason above."""
    BUDGET = "budget"
    """Not submitted: it would have crossed a budget. Nothing was bought."""
    UNKNOWN = "unknown"
    """A failure nobody could classify."""

    @property
    def fails_over(self) -> bool:
        """Whether another model may take the job over. Another model would reject the same
        bad input or refuse the same prompt, a key problem needs a person, a canceled job
        was meant to stop, and a budget stop must not buy elsewhere."""
        return self not in _NEVER_FAIL_OVER


_NEVER_FAIL_OVER = frozenset(
    {
        FailureReason.INPUT,
        FailureReason.SAFETY,
        FailureReason.AUTH,
        FailureReason.CANCELED,
        FailureReason.BUDGET,
    }
)


#: Statuses that say "not now" rather than "no": timeout, conflict (a concurrent change),
#: too early, rate limited. Server errors are added by ``retryable_status``.
_RETRY_LATER = frozenset({408, 409, 425, 429})


def retryable_status(status: int) -> bool:
    """Whether the same HTTP call may succeed if sent again later: the one rule for
    provider calls and downloads alike. Every 5xx counts (gateways and CDNs invent their
    own, 520-529) except 501 and 505, which say the server will never do this."""
    return status in _RETRY_LATER or (500 <= status <= 599 and status not in (501, 505))


def reason_for_status(status: int | None) -> FailureReason:
    """The reason an HTTP error status means when a provider says nothing more precise.
    ``None`` is a transport failure (no answer at all)."""
    if status is None:
        return FailureReason.PROVIDER_DOWN
    if status in (401, 403):
        return FailureReason.AUTH
    if status == 402:
        return FailureReason.QUOTA
    if status == 429:
        return FailureReason.RATE_LIMITED
    if status in (408, 504):
        return FailureReason.TIMEOUT
    if status >= 500:
        return FailureReason.PROVIDER_DOWN
    if 400 <= status < 500:
        return FailureReason.INPUT
    return FailureReason.UNKNOWN


class StoryreelError(Exception):
    """Root of every error storyreel raises on purpose."""

    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(StoryreelError):
    """The caller asked for something impossible; nothing was written or paid for."""

    http_status = 422
    reason = FailureReason.INPUT


class NotFound(InputError):
    """A job, asset, file or model that does not exist."""

    http_status = 404


class WebhookRejected(InputError):
    """A webhook whose signature, timestamp or job token does not check out."""

    http_status = 401


class Unauthorized(InputError):
    """An API request with no key, or a key the server does not know."""

    http_status = 401


class Forbidden(InputError):
    """A request the server understood but refuses: a UI form without its CSRF token."""

    http_status = 403


class Conflict(InputError):
    """The resource is busy: a story that is already running cannot start again."""

    http_status = 409


class WaitTimeout(StoryreelError):
    """A synchronous API endpoint gave up waiting for its job (the job goes on)."""

    http_status = 504


class ConfigError(StoryreelError):
    """Settings that cannot work: a missing key, an unreachable database URL."""

    http_status = 500
    reason = FailureReason.AUTH


class BudgetExceeded(StoryreelError):
    """A job or story would cost more than the configured budget allows."""

    http_status = 402
    reason = FailureReason.BUDGET


class MediaError(StoryreelError):
    """Our own media processing failed (ffmpeg exit code, undecodable output)."""

    http_status = 500


class ProviderError(StoryreelError):
    """Something went wrong on a provider's side."""

    http_status = 502

    def __init__(self, message: str, *, provider: str = "") -> None:
        super().__init__(message)
        self.provider = provider


class ProviderAPIError(ProviderError):
    """Their API failed. ``retryable`` says whether the same call may succeed later.

    ``reason`` defaults to what the HTTP status means (``reason_for_status``); a provider
    passes a more precise one when its error body says more (a safety code in a 400)."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        reason: FailureReason | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.reason = reason if reason is not None else reason_for_status(status)
        self.code = code


class QuotaError(ProviderAPIError):
    """Out of credits or over a plan limit: waiting will not help, a person must act."""

    http_status = 402

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(
            message,
            provider=provider,
            status=status,
            retry_after=retry_after,
            reason=FailureReason.QUOTA,
            code=code,
        )


class ProviderJobError(ProviderError):
    """The model ran and failed (safety block, invalid input); retrying will not help.
    ``code`` keeps the provider's own word for it (``IMAGE_SAFETY``) for the message."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        reason: FailureReason = FailureReason.MODEL_FAILED,
        code: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider)
        self.reason = reason
        self.code = code


def failure_reason(error: BaseException) -> FailureReason:
    """The reason of any exception: its own where it has one, else UNKNOWN."""
    reason = getattr(error, "reason", None)
    return reason if isinstance(reason, FailureReason) else FailureReason.UNKNOWN


__all__ = [
    "BudgetExceeded",
    "ConfigError",
    "FailureReason",
    "InputError",
    "MediaError",
    "NotFound",
    "ProviderAPIError",
    "ProviderError",
    "ProviderJobError",
    "QuotaError",
    "StoryreelError",
    "WebhookRejected",
    "failure_reason",
    "reason_for_status",
]
