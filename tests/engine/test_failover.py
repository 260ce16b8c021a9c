"""A job that fails for a non-input reason is taken over by the next model in its chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from storyreel.catalog import clear_cache
from storyreel.engine import jobs
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import submit_job, wait_job
from storyreel.store.models import Job
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task

USER_CATALOG = """
[[models]]
id = "scripted:flaky"
title = "a model that fails"
tasks = ["text-to-image"]
price = { kind = "per_image", usd = 0.05 }
price_source = "test"

[fallbacks]
"scripted:flaky" = ["sketch:previz"]
"""


@pytest.fixture
async def scripted(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    assert engine.runtime is not None
    path = engine.runtime.settings.data_path / "catalog.toml"
    path.write_text(USER_CATALOG)
    monkeypatch.setenv("STORYREEL_CATALOG_FILE", str(path))
    clear_cache()
    ScriptedProvider.reset()
    await engine.add_provider(ScriptedProvider)
    yield
    clear_cache()


def flaky(**extra: Any) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE,
        model="scripted:flaky",
        prompt="a quiet harbour at dawn",
        width=256,
        height=144,
        extra=extra,
    )


async def test_provider_failure_fails_over_and_records_the_switch(
    scripted: None, rt: Runtime
) -> None:
    job = await submit_job(flaky(polls=["running", "failed"], fail_message="runner lost"))
    assert job.estimate_usd is not None and float(job.estimate_usd) == pytest.approx(0.05)
    result = await wait_job(job.id)
    assert result["status"] == "succeeded"
    failed = await jobs.get_job(rt.db, job.id)
    assert failed.status == "failed" and failed.failover_to == result["job_id"]
    successor = await jobs.get_job(rt.db, result["job_id"])
    assert successor.model == "sketch:previz" and successor.failover_from == job.id
    assert successor.status == "succeeded" and successor.outputs


async def test_input_failures_are_not_failed_over(scripted: None, rt: Runtime) -> None:
    job = await submit_job(flaky(submit_error={"kind": "job"}))
    result = await wait_job(job.id)
    assert result["status"] == "failed"
    row = await jobs.get_job(rt.db, job.id)
    assert row.error_reason == "safety" and row.failover_to is None


async def test_a_rerun_reuses_the_successor_instead_of_buying_again(
    scripted: None, rt: Runtime
) -> None:
    """Reuse follows failover: the failed job's successor made the output, so the same
    request asked again is that successor, with no new job and no new submission."""
    job = await submit_job(flaky(polls=["failed"], fail_message="runner lost"))
    first = await wait_job(job.id)
    assert first["status"] == "succeeded" and first["job_id"] != job.id
    again = await submit_job(flaky(polls=["failed"], fail_message="runner lost"))
    assert again.id == first["job_id"]
    assert ScriptedProvider.submissions[job.id] == 1 and len(ScriptedProvider.submissions) == 1
    async with rt.db.session() as session:
        count = await session.scalar(select(func.count()).select_from(Job))
    assert count == 2


async def test_a_safety_refusal_costs_nothing_and_is_not_bought_elsewhere(
    scripted: None, rt: Runtime
) -> None:
    job = await submit_job(flaky(submit_error={"kind": "job"}))
    assert (await wait_job(job.id))["status"] == "failed"
    row = await jobs.get_job(rt.db, job.id)
    assert row.error_reason == "safety" and row.failover_to is None
    assert row.cost_usd == 0 and row.estimate_usd is not None and row.estimate_usd > 0


@pytest.mark.parametrize("status", [400, 422])
async def test_a_validation_answer_is_input_and_costs_nothing(
    scripted: None, rt: Runtime, status: int
) -> None:
    error = {"kind": "api", "status": status, "retryable": False}
    job = await submit_job(flaky(submit_error=error))
    result = await wait_job(job.id)
    assert result["status"] == "failed" and result["job_id"] == job.id
    row = await jobs.get_job(rt.db, job.id)
    assert (row.error_reason, row.failover_to, row.cost_usd) == ("input", None, 0)
    assert ScriptedProvider.submissions[job.id] == 0


async def test_a_failed_over_job_keeps_its_queue_priority(scripted: None, rt: Runtime) -> None:
    """A story's job that fails over must not lose its place in the queue: the successor
    is queued with the failed job's priority."""
    from dbos import DBOS

    from storyreel.engine.service import enqueue_job

    job, _ = await jobs.create_job(rt.db, flaky(polls=["failed"], fail_message="runner lost"))
    await enqueue_job(job.id, "scripted", priority=1)
    result = await wait_job(job.id)
    assert result["status"] == "succeeded" and result["job_id"] != job.id
    status = await DBOS.get_workflow_status_async(result["job_id"])
    assert status is not None and status.priority == 1
