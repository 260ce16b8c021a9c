"""Reading ModelsLab envelopes: the message under any of its spellings, outputs under any
of their keys, and the status and failure reason of each."""

from __future__ import annotations

from storyreel.errors import FailureReason
from storyreel.providers.modelslab_responses import (
    failure_of,
    message_of,
    outputs_of,
    state_of,
    usage_of,
)
from storyreel.providers.types import JobState


def test_message_under_every_spelling() -> None:
    assert message_of({"messege": "Invalid key"}) == "Invalid key"
    assert message_of({"message": {"width": ["too big", "max 1024"]}}) == "width: too big max 1024"
    assert message_of({"error": ["a", "b"]}) == "a; b"
    assert message_of({"status": "error"}) == ""


def test_outputs_under_every_key_in_order() -> None:
    assert outputs_of({"output": "u"}) == ["u"]
    assert outputs_of({"output": [], "proxy_links": {"1": "b", "0": "a"}}) == ["a", "b"]
    assert outputs_of({"future_links": ["f", ""]}) == ["f"]
    assert outputs_of({}) == []


def test_states_failures_and_usage() -> None:
    assert state_of("success") is JobState.SUCCEEDED
    assert state_of("processing") is JobState.RUNNING
    assert state_of("failed") is JobState.FAILED and state_of("error") is JobState.FAILED
    assert state_of("mystery") is None
    nsfw = failure_of({"nsfw_content_detected": True}, default=FailureReason.MODEL_FAILED)
    assert nsfw == (FailureReason.SAFETY, "nsfw_content_detected")
    assert failure_of({"message": "Request timed out"}, default=FailureReason.INPUT)[0] is (
        FailureReason.TIMEOUT
    )
    assert failure_of({"message": "bad"}, default=FailureReason.INPUT) == (
        FailureReason.INPUT,
        "validation",
    )
    usage = usage_of({"generationTime": "2.5", "output": ["a", "b"]})
    assert (usage.gpu_seconds, usage.count) == (2.5, 2)
    assert usage_of({"generationTime": -1}).gpu_seconds is None
