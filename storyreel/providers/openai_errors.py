"""OpenAI's failures and usage in storyreel's words: error ``code``/``type`` and HTTP
status as ``FailureReason``, the images' token ``usage`` and a video's ``seconds``/``size``
as ``Usage``, an error body's ``code``/``type``/``param``, and when a 429 says to come
back. Kept beside ``openai.py`` so the adapter stays readable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx2

from storyreel.errors import FailureReason, ProviderAPIError, reason_for_status
from storyreel.providers.remote import json_or_none
from storyreel.providers.types import Usage

#: Error codes that mean "the safety system refused", on HTTP 400s and on failed videos.
SAFETY_CODES = frozenset(
    {"moderation_blocked", "content_policy_violation", "content_filter", "safety_violation"}
)
#: Other error codes (and ``type``s) that say more than the HTTP status.
ERROR_CODES = {
    "invalid_api_key": FailureReason.AUTH,
    "insufficient_quota": FailureReason.QUOTA,
    "billing_hard_limit_reached": FailureReason.QUOTA,
    "billing_not_active": FailureReason.QUOTA,
    "rate_limit_exceeded": FailureReason.RATE_LIMITED,
    "server_error": FailureReason.PROVIDER_DOWN,
    "invalid_request_error": FailureReason.INPUT,
}


def reason_for_error(
    status: int | None, code: str | None, error_type: str | None = None
) -> FailureReason:
    """An OpenAI error's reason: a safety code, then a known code, then what the HTTP
    status says (``invalid_request_error`` is also the ``type`` of a 401, so the type only
    decides where the status has nothing better)."""
    if code in SAFETY_CODES:
        return FailureReason.SAFETY
    if code in ERROR_CODES:
        return ERROR_CODES[code]
    by_status = reason_for_status(status)
    if status is not None and by_status is not FailureReason.UNKNOWN:
        return by_status
    return ERROR_CODES.get(error_type or "", by_status)


def video_failure(code: str | None) -> FailureReason:
    """A failed Sora video: refused for content, or the model failed."""
    if code in SAFETY_CODES:
        return FailureReason.SAFETY
    return ERROR_CODES.get(code or "", FailureReason.MODEL_FAILED)


_TOKEN_KEYS = ("input_tokens", "output_tokens")


def usage_of(body: Mapping[str, Any], *, count: int | None = None) -> Usage:
    """An image answer's ``usage`` (the tokens OpenAI bills) and the images produced."""
    usage = body.get("usage")
    tokens = {k: usage.get(k) if isinstance(usage, Mapping) else None for k in _TOKEN_KEYS}
    return Usage(
        **{k: int(v) for k, v in tokens.items() if isinstance(v, int) and v >= 0}, count=count
    )


def video_usage(video: Mapping[str, Any]) -> Usage:
    """A finished video's ``seconds`` (a string) and ``size``: what was rendered."""
    seconds = video.get("seconds")
    width = height = None
    if isinstance(size := video.get("size"), str) and "x" in size:
        w, _, h = size.partition("x")
        if w.isdigit() and h.isdigit():
            width, height = int(w), int(h)
    try:
        produced = float(seconds) if seconds is not None else None
    except (TypeError, ValueError):
        produced = None
    return Usage(seconds=produced, width=width, height=height, count=1)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

_TRY_AGAIN = re.compile(r"try again in ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)")


def parse_reset(value: str | None) -> float | None:
    """Seconds in an ``x-ratelimit-reset-*`` header: ``12ms``, ``1s``, ``6m0s``."""
    if not value:
        return None
    parts = _DURATION_PART.findall(value.strip())
    if not parts or "".join(n + u for n, u in parts) != value.strip():
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


class OpenAIAPIError(ProviderAPIError):
    """An OpenAI error body, with its ``code``, ``type`` and ``param`` kept."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None,
        error_type: str | None,
        param: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.code = code
        self.error_type = error_type
        self.param = param


def rate_limit_wait(response: httpx2.Response, limit: str | None, message: str) -> float | None:
    """When a 429 says to come back: the reset header of the limit that was hit (``type``
    is ``requests`` or ``tokens``), else the message's "try again in 20ms", else the
    sooner of the two resets (the other one may be minutes away and unrelated)."""
    resets = {
        kind: parse_reset(response.headers.get(f"x-ratelimit-reset-{kind}"))
        for kind in ("requests", "tokens")
    }
    if limit in resets and resets[limit] is not None:
        return resets[limit]
    said = _TRY_AGAIN.search(message)
    if said and (seconds := parse_reset(said.group(1))) is not None:
        return seconds
    return min((r for r in resets.values() if r is not None), default=None)


def error_fields(response: httpx2.Response) -> dict[str, Any]:
    body = json_or_none(response)
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}
