"""Gemini's failures and usage in storyreel's words: finishReasons, blockReasons, Google
error bodies (HTTP and Veo operation errors) as ``FailureReason``, ``usageMetadata`` as
``Usage``. Kept beside ``gemini.py`` so the adapter stays readable; nothing else uses it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storyreel.errors import FailureReason, reason_for_status
from storyreel.providers.types import Usage

#: finishReason values that are a safety or policy refusal. RECITATION/IMAGE_RECITATION
#: (output too close to protected material) count as SAFETY: another model would be asked
#: for the same protected work, and a policy stop is not laundered through failover.
SAFETY_FINISH = frozenset(
    {
        "SAFETY",
        "IMAGE_SAFETY",
        "PROHIBITED_CONTENT",
        "IMAGE_PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "RECITATION",
        "IMAGE_RECITATION",
    }
)
#: Any other finishReason with no image (NO_IMAGE, OTHER, IMAGE_OTHER, MAX_TOKENS, STOP,
#: FINISH_REASON_UNSPECIFIED, LANGUAGE, tool-call ones) is the model failing: MODEL_FAILED.
#: A blocked prompt (``promptFeedback.blockReason``, any value) is a refusal: SAFETY.
#: Google's ``error.status`` (HTTP bodies and Veo operation errors, where gRPC's numeric
#: ``code`` stands for it).
ERROR_STATUSES = {
    "INVALID_ARGUMENT": FailureReason.INPUT,
    "NOT_FOUND": FailureReason.INPUT,
    "OUT_OF_RANGE": FailureReason.INPUT,
    "FAILED_PRECONDITION": FailureReason.QUOTA,  # billing not enabled / free tier region
    "PERMISSION_DENIED": FailureReason.AUTH,
    "UNAUTHENTICATED": FailureReason.AUTH,
    "RESOURCE_EXHAUSTED": FailureReason.RATE_LIMITED,
    "DEADLINE_EXCEEDED": FailureReason.TIMEOUT,
    "CANCELLED": FailureReason.CANCELED,
    "INTERNAL": FailureReason.PROVIDER_DOWN,
    "UNAVAILABLE": FailureReason.PROVIDER_DOWN,
    "UNKNOWN": FailureReason.MODEL_FAILED,
}
#: ``details[].reason`` values that decide over the status (a bad key is a 400).
DETAIL_REASONS = {
    "API_KEY_INVALID": FailureReason.AUTH,
    "API_KEY_EXPIRED": FailureReason.AUTH,
    "BILLING_DISABLED": FailureReason.QUOTA,
}
_RPC_STATUSES = {
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    11: "OUT_OF_RANGE",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    16: "UNAUTHENTICATED",
}


def finish_reason(finish: str) -> FailureReason:
    """A candidate's finishReason, when it came back without an image."""
    return FailureReason.SAFETY if finish in SAFETY_FINISH else FailureReason.MODEL_FAILED


def error_code(error: Mapping[str, Any]) -> str | None:
    """The most precise code of a Google error object: a detail reason, else the status
    (spelled out from the gRPC number of a Veo operation error)."""
    for detail in error.get("details") or []:
        if isinstance(detail, Mapping) and detail.get("reason") in DETAIL_REASONS:
            return str(detail["reason"])
    status = error.get("status")
    if isinstance(status, str) and status:
        return status
    code = error.get("code")
    return _RPC_STATUSES.get(code) if isinstance(code, int) else None


def error_reason(code: str | None, *, http_status: int | None = None) -> FailureReason:
    if code in DETAIL_REASONS:
        return DETAIL_REASONS[code]
    if code in ERROR_STATUSES:
        return ERROR_STATUSES[code]
    return reason_for_status(http_status) if http_status else FailureReason.MODEL_FAILED


def usage_of(metadata: Any) -> Usage | None:
    """``usageMetadata``: prompt tokens in; candidate and thinking tokens out (both are
    billed as output)."""
    if not isinstance(metadata, Mapping):
        return None
    prompt = metadata.get("promptTokenCount")
    out = [metadata.get(k) for k in ("candidatesTokenCount", "thoughtsTokenCount")]
    counted = [v for v in out if isinstance(v, int)]
    return Usage(
        input_tokens=prompt if isinstance(prompt, int) else None,
        output_tokens=sum(counted) if counted else None,
        count=1,
    )
