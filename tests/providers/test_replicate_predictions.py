"""Reading Replicate prediction objects: every status, the failure reason from free text,
billed seconds, and what a blocking create may keep in a (checkpointed) handle."""

from __future__ import annotations

import pytest

from storyreel.errors import FailureReason, ProviderAPIError
from storyreel.providers.replicate_predictions import (
    MAX_HANDLE_OUTPUT,
    early_outcome,
    failure_reason,
    status_of,
    usage_of,
)
from storyreel.providers.types import JobState


def test_progress_comes_from_the_last_tqdm_line() -> None:
    running = status_of({"status": "processing", "logs": "10%|#\n 45%|####   | 9/20\nnoise"})
    assert running.state is JobState.RUNNING and running.progress == 0.45
    assert status_of({"status": "starting"}).progress is None
    assert status_of({"status": "succeeded", "output": "u"}).progress == 1.0


def test_terminal_states_carry_a_reason_and_billed_seconds() -> None:
    removed = status_of(
        {"status": "succeeded", "data_removed": True, "metrics": {"predict_time": 2}}
    )
    assert removed.state is JobState.FAILED and removed.error_code == "data_removed"
    assert removed.usage is not None and removed.usage.gpu_seconds == 2.0
    aborted = status_of({"status": "aborted"})
    assert aborted.state is JobState.FAILED and aborted.error_reason is FailureReason.TIMEOUT
    canceled = status_of({"status": "canceled"})
    assert canceled.error_reason is FailureReason.CANCELED
    failed = status_of({"status": "failed", "error": "NSFW content detected. Try again."})
    assert (failed.error_reason, failed.error_code) == (FailureReason.SAFETY, "nsfw")
    with pytest.raises(ProviderAPIError, match="unknown status"):
        status_of({"status": "exploded"})


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("Prediction input failed validation: width", (FailureReason.INPUT, "input_validation")),
        ("Prediction timed out", (FailureReason.TIMEOUT, "timeout")),
        (
            "Traceback (most recent call last): CUDA OOM",
            (FailureReason.MODEL_FAILED, "model_error"),
        ),
    ],
)
def test_failure_reason_reads_free_text(error: str, expected: tuple[FailureReason, str]) -> None:
    assert failure_reason(error) == expected


def test_usage_needs_a_real_predict_time() -> None:
    assert usage_of({"metrics": {"predict_time": 1.5}}) is not None
    for bad in (
        {},
        {"metrics": None},
        {"metrics": {"predict_time": -1}},
        {"metrics": {"predict_time": "9"}},
    ):
        assert usage_of(bad) is None


def test_early_outcome_keeps_only_small_settled_results() -> None:
    assert early_outcome({"status": "succeeded", "output": ["u1"]}, blocking=False)["output"] == [
        "u1"
    ]
    # A blocking create answering "processing" with output is done (recorded quirk) ...
    assert (
        early_outcome({"status": "processing", "output": "u"}, blocking=True)["status"]
        == "succeeded"
    )
    # ... but not without Prefer: wait, and never with data URIs or oversized output.
    assert early_outcome({"status": "processing", "output": "u"}, blocking=False) == {}
    assert (
        early_outcome({"status": "succeeded", "output": "data:image/png;base64,AA"}, blocking=False)
        == {}
    )
    huge = ["https://x/" + "a" * MAX_HANDLE_OUTPUT]
    assert early_outcome({"status": "succeeded", "output": huge}, blocking=False) == {}
    failed = early_outcome({"status": "failed", "error": "e" * 5000}, blocking=False)
    assert failed["status"] == "failed" and len(failed["error"]) == 1000
