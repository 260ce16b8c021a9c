"""Reading Replicate's prediction objects: status and progress from ``status`` and
``logs``, the failure reason from the free-text ``error`` (Replicate has no error codes),
billed GPU seconds from ``metrics``, and what a blocking create already settled. Pure
functions of the JSON, so the adapter, its lookup of lost submits and the tests share
them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from storyreel.errors import (
    FailureReason,
    ProviderAPIError,
)
from storyreel.providers.types import JobState, Status, Usage

MAX_HANDLE_OUTPUT = 4096  # bytes of output URLs kept in a Handle (it is checkpointed)
STATES = {
    "starting": JobState.QUEUED,
    "processing": JobState.RUNNING,
    "succeeded": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "canceled": JobState.CANCELED,
    "aborted": JobState.FAILED,
}

_PROGRESS = re.compile(r"^\s*(\d+)%\s*\|")


def status_of(prediction: Mapping[str, Any]) -> Status:
    """A prediction object (or the settled part kept in a handle) as a Status."""
    raw = str(prediction.get("status"))
    state = STATES.get(raw)
    if state is None:
        raise ProviderAPIError(f"replicate: unknown status {raw!r}", provider="replicate")
    logs = tuple(line for line in str(prediction.get("logs") or "").splitlines() if line)
    usage = usage_of(prediction) if state.terminal else None
    if state is JobState.SUCCEEDED and prediction.get("data_removed"):
        # The run happened and was billed; we came back after the outputs were deleted.
        return Status(
            state=JobState.FAILED,
            logs=logs,
            message="the outputs were already deleted (Replicate keeps them about an hour)",
            error_reason=FailureReason.TIMEOUT,
            error_code="data_removed",
            usage=usage,
        )
    if raw == "aborted":
        return Status(
            state=state,
            logs=logs,
            message="the prediction's deadline (Cancel-After) passed before it started",
            error_reason=FailureReason.TIMEOUT,
            error_code="aborted",
            usage=usage,
        )
    if state is JobState.CANCELED:
        return Status(
            state=state,
            logs=logs,
            message="the prediction was canceled",
            error_reason=FailureReason.CANCELED,
            error_code="canceled",
            usage=usage,
        )
    if state is JobState.FAILED:
        error = str(prediction.get("error") or "the prediction failed")
        reason, code = failure_reason(error)
        return Status(
            state=state, logs=logs, message=error, error_reason=reason, error_code=code, usage=usage
        )
    progress = 1.0 if state is JobState.SUCCEEDED else _progress(logs)
    return Status(state=state, logs=logs[-20:], progress=progress, usage=usage)


#: Phrases of a failed prediction's ``error`` (Replicate has no error codes), first match
#: wins, with the code we record for each.
_ERROR_PHRASES: tuple[tuple[tuple[str, ...], FailureReason, str], ...] = (
    (("input failed validation", "invalid input"), FailureReason.INPUT, "input_validation"),
    (("nsfw", "safety", "sensitive", "flagged"), FailureReason.SAFETY, "nsfw"),
    (("timed out", "timeout"), FailureReason.TIMEOUT, "timeout"),
)


def failure_reason(error: str) -> tuple[FailureReason, str]:
    """A failed prediction's reason and code, read from its ``error`` text: Replicate
    reports "Prediction input failed validation: ...", "NSFW content detected ..." and
    model tracebacks all as free text."""
    lowered = error.lower()
    for phrases, reason, code in _ERROR_PHRASES:
        if any(phrase in lowered for phrase in phrases):
            return reason, code
    return FailureReason.MODEL_FAILED, "model_error"


def usage_of(prediction: Mapping[str, Any]) -> Usage | None:
    """``metrics.predict_time``: the GPU seconds Replicate bills, failed runs included."""
    metrics = prediction.get("metrics")
    seconds = metrics.get("predict_time") if isinstance(metrics, Mapping) else None
    if not isinstance(seconds, int | float) or seconds < 0:
        return None
    return Usage(gpu_seconds=float(seconds))


def early_outcome(prediction: Mapping[str, Any], *, blocking: bool) -> dict[str, Any]:
    """What a blocking create already settled, small enough to keep in the Handle."""
    status = prediction.get("status")
    output = prediction.get("output")
    metrics = prediction.get("metrics")
    kept = {"metrics": dict(metrics)} if isinstance(metrics, Mapping) and metrics else {}
    if status in ("failed", "canceled", "aborted"):
        return {"status": status, "error": str(prediction.get("error") or "")[:1000], **kept}
    done = status == "succeeded" or (blocking and status == "processing")
    uris = output_uris(output)
    if not done or not uris or any(u.startswith("data:") for u in uris):
        return {}
    if len(json.dumps(uris)) > MAX_HANDLE_OUTPUT:
        return {}
    return {"status": "succeeded", "output": uris, **kept}


def output_uris(output: Any) -> list[str]:
    if isinstance(output, str):
        return [output]
    if isinstance(output, list):
        return [item for item in output if isinstance(item, str)]
    return []


def _progress(logs: tuple[str, ...]) -> float | None:
    for line in reversed(logs):
        if match := _PROGRESS.match(line):
            return min(1.0, int(match.group(1)) / 100)
    return None
