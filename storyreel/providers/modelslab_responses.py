"""Reading ModelsLab's response envelopes: one shape (``status``, ``message`` or the
misspelled ``messege``, outputs under four different keys) for every endpoint and version,
errors often inside HTTP 200. Pure functions of the JSON, shared by the adapter and its
tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storyreel.errors import (
    FailureReason,
)
from storyreel.providers.modelslab_models import (
    number,
)
from storyreel.providers.types import JobState, Usage

FAILED_STATUSES = ("error", "failed")


def message_of(body: Mapping[str, Any]) -> str:
    """The human part of a ModelsLab envelope: ``message``, ``messege`` (sic) or a
    validation map of field -> messages."""
    for key in ("message", "messege", "error", "detail"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping) and value:
            return "; ".join(
                f"{name}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                for name, v in value.items()
            )
        if isinstance(value, list) and value:
            return "; ".join(map(str, value))
    return ""


_SAFETY_WORDS = ("nsfw", "safety", "sensitive", "inappropriate")


def failure_of(body: Mapping[str, Any], *, default: FailureReason) -> tuple[FailureReason, str]:
    """Reason and code of a failed envelope. ModelsLab has no error codes: its flag
    ``nsfw_content_detected`` and the words of its message are all there is."""
    lowered = message_of(body).lower()
    if body.get("nsfw_content_detected") is True or any(w in lowered for w in _SAFETY_WORDS):
        return FailureReason.SAFETY, "nsfw_content_detected"
    if "timeout" in lowered or "timed out" in lowered:
        return FailureReason.TIMEOUT, "timeout"
    if "server error" in lowered or "something went wrong" in lowered:
        return FailureReason.PROVIDER_DOWN, "server_error"
    return default, "validation" if default is FailureReason.INPUT else "failed"


def usage_of(body: Mapping[str, Any]) -> Usage:
    """``generationTime`` (seconds) and the outputs of a finished envelope."""
    seconds = number(body.get("generationTime"))
    return Usage(
        gpu_seconds=seconds if seconds is not None and seconds >= 0 else None,
        count=len(outputs_of(body)) or None,
    )


def outputs_of(body: Mapping[str, Any]) -> list[str]:
    """Output locations of a success envelope: ``output`` (list or string), else
    ``output_url``, ``proxy_links`` (a list, or an object keyed "0", "1", ...),
    ``future_links``."""
    for key in ("output", "output_url", "proxy_links", "future_links"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return [value]
        if isinstance(value, Mapping) and value:
            return [str(value[k]) for k in sorted(value, key=str)]
        if isinstance(value, list) and value:
            return [str(item) for item in value if item]
    return []


def state_of(status: Any) -> JobState | None:
    """ModelsLab's status string as a JobState (None: unknown)."""
    if status == "success":
        return JobState.SUCCEEDED
    if status == "processing":
        return JobState.RUNNING
    if status in FAILED_STATUSES:
        return JobState.FAILED
    return None
