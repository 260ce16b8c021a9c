"""The one exception tree of storyreel.

Every error a user can see is a ``StoryreelError``; the CLI prints its message on one line
and the API maps its class to an HTTP status in one handler::

    StoryreelError
    ├── InputError            bad request: clear message, HTTP 4xx, nothing written
    │   ├── NotFound          an id, file or model that does not exist (HTTP 404)
    │   └── WebhookRejected   a webhook that is forged, replayed or not for us (HTTP 401)
    ├── ConfigError           settings that cannot work (missing key, bad URL)
    ├── BudgetExceeded        the estimate or spend would pass a configured cap
    ├── MediaError            encoding/decoding failed on our side (ffmpeg, Pillow)
    └── ProviderError         anything a provider did
        ├── ProviderAPIError  their API failed: HTTP status, retryable, retry_after
        │   └── QuotaError    out of credits / plan limit (not retried)
        └── ProviderJobError  the model ran and failed: safety block, bad input

The split between ``ProviderAPIError`` and ``ProviderJobError`` follows replicate-python:
an API failure may be retried (the same request can still succeed), a job failure may
not (the model already ran and said no), but it may fail over to another model.
"""

from __future__ import annotations


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


class NotFound(InputError):
    """A job, asset, file or model that does not exist."""

    http_status = 404


class WebhookRejected(InputError):
    """A webhook whose signature, timestamp or job token does not check out."""

    http_status = 401


class ConfigError(StoryreelError):
    """Settings that cannot work: a missing key, an unreachable database URL."""

    http_status = 500


class BudgetExceeded(StoryreelError):
    """A job or story would cost more than the configured budget allows."""

    http_status = 402


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
    """Their API failed. ``retryable`` says whether the same call may succeed later."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class QuotaError(ProviderAPIError):
    """Out of credits or over a plan limit: waiting will not help, a person must act."""

    http_status = 402


class ProviderJobError(ProviderError):
    """The model ran and failed (safety block, invalid input); retrying will not help."""

    def __init__(self, message: str, *, provider: str = "", reason: str = "failed") -> None:
        super().__init__(message, provider=provider)
        self.reason = reason


__all__ = [
    "BudgetExceeded",
    "ConfigError",
    "InputError",
    "MediaError",
    "NotFound",
    "ProviderAPIError",
    "ProviderError",
    "ProviderJobError",
    "QuotaError",
    "StoryreelError",
    "WebhookRejected",
]
