"""OpenAI's failures and usage in storyreel's words: error ``code``/``type`` and HTTP
status as ``FailureReason``, the images' token ``usage`` and a video's ``seconds``/``size``
as ``Usage``. Kept beside ``openai.py`` so the adapter stays readable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storyreel.errors import FailureReason, reason_for_status
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
