"""The decisions the workflow steps make before touching a provider: which submit errors
leave the outcome unknown (never blindly resent), how a failure is recorded, when a job
should wait for a webhook, and the retry policy taken from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from storyreel.config import Settings
from storyreel.engine import steps
from storyreel.engine.runtime import Runtime, set_runtime
from storyreel.errors import (
    FailureReason,
    InputError,
    ProviderAPIError,
    ProviderJobError,
    QuotaError,
)


@pytest.fixture
def public_runtime(tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path,
        public_url="https://hooks.example",
        load_plugins="fal,sketch",
        retry_base_delay=0.25,
    )
    rt = Runtime.build(settings)
    set_runtime(rt)
    try:
        yield rt
    finally:
        set_runtime(None)


def test_only_an_answerless_submit_error_leaves_the_outcome_unknown() -> None:
    assert steps.outcome_unknown(ProviderAPIError("timed out", provider="fal", status=None))
    assert not steps.outcome_unknown(ProviderAPIError("busy", provider="fal", status=503))
    assert not steps.outcome_unknown(QuotaError("no credits", provider="fal", status=402))
    assert not steps.outcome_unknown(InputError("bad prompt"))
    assert not steps.outcome_unknown(RuntimeError("bug"))


def test_a_failure_is_recorded_with_its_reason() -> None:
    failed = steps._failure(
        ProviderJobError("blocked", provider="fal", reason=FailureReason.SAFETY)
    )
    assert failed == {"ok": False, "error": "blocked", "reason": "safety"}
    assert steps._failure(QuotaError("no credits", provider="fal", status=402))["reason"] == "quota"


def test_webhooks_are_expected_only_where_a_provider_can_send_them(
    public_runtime: Runtime,
) -> None:
    assert steps._webhooks_expected("fal")
    assert not steps._webhooks_expected("sketch")  # renders locally, sends nothing
    assert not steps._webhooks_expected("replicate")  # not loaded here: submit reports it
    public_runtime.settings = public_runtime.settings.model_copy(update={"public_url": None})
    assert not steps._webhooks_expected("fal")


def test_the_retry_policy_follows_the_settings(public_runtime: Runtime) -> None:
    assert steps._policy().base_delay == 0.25


async def test_failing_a_job_that_an_earlier_run_finalized_reports_its_success(
    rt: Runtime,
) -> None:
    """A process killed after a job's finalize committed but before DBOS recorded the poll
    replays the poll: a local render's scratch file has moved into the store, so the
    provider says "output vanished". The job succeeded; its workflow must say so, with
    its outputs (it returned "succeeded" with none, and the story stopped on it)."""
    from storyreel.engine import jobs
    from storyreel.engine.finish import finalize
    from storyreel.media.images import image_to_png
    from storyreel.store.records import store_image
    from storyreel.vocabulary import GenerationRequest, Task

    job, _ = await jobs.create_job(
        rt.db, GenerationRequest(task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt="p")
    )
    png = image_to_png(Image.new("RGB", (32, 32), (200, 40, 40)))
    info = store_image(rt.assets, png, "image/png")
    await finalize(job.id, [info])
    result = await steps.fail(job.id, "sketch output vanished", "unknown", "failed")
    assert result["status"] == "succeeded"
    assert result["outputs"] == [info["sha256"]]
    assert (await jobs.get_job(rt.db, job.id)).status == "succeeded"
