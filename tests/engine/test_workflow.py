"""The generation workflow end to end on a real engine, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from storyreel.engine import jobs
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import cancel_job, submit_job, wait_job
from storyreel.providers.types import JobState
from storyreel.store.models import Asset, CostEntry
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task


@pytest.fixture
async def scripted(engine: Engine) -> AsyncIterator[type[ScriptedProvider]]:
    ScriptedProvider.reset()
    await engine.add_provider(ScriptedProvider)
    yield ScriptedProvider


def scripted_request(seed: int = 1, **extra: Any) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="scripted:test", prompt=f"p{seed}", seed=seed, extra=extra
    )


async def test_sketch_job_succeeds_with_stored_output_and_thumbnail(rt: Runtime) -> None:
    req = GenerationRequest(
        task=Task.TEXT_TO_IMAGE,
        model="sketch:previz",
        prompt="a knight at a castle gate at dusk",
        width=320,
        height=180,
        seed=7,
    )
    job = await submit_job(req)
    result = await wait_job(job.id)
    assert result["status"] == "succeeded"
    [sha] = result["outputs"]
    stored = await jobs.get_job(rt.db, job.id)
    assert stored.status == "succeeded" and stored.submit_attempts == 1
    assert stored.handle is not None and stored.finished_at is not None
    async with rt.db.session() as session:
        asset = await session.get(Asset, sha)
        costs = (await session.execute(select(CostEntry.kind))).scalars().all()
    assert asset is not None and (asset.width, asset.height) == (320, 180)
    assert asset.thumbnail_sha256 and rt.assets.exists(asset.thumbnail_sha256, "image/jpeg")
    assert rt.assets.read(sha, "image/png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(costs) == ["estimate", "final"]
    assert stored.estimate_usd == 0 and stored.cost_usd == 0


async def test_polls_until_done(scripted: type[ScriptedProvider], rt: Runtime) -> None:
    job = await submit_job(scripted_request(polls=["queued", "running", "running", "succeeded"]))
    assert (await wait_job(job.id))["status"] == "succeeded"
    row = await jobs.get_job(rt.db, job.id)
    assert row.polls == 4
    assert scripted.submissions[job.id] == 1


async def test_transient_poll_errors_are_absorbed(scripted: type[ScriptedProvider]) -> None:
    job = await submit_job(scripted_request(poll_errors=2))
    assert (await wait_job(job.id))["status"] == "succeeded"


async def test_model_failure_is_final_with_the_providers_message(
    scripted: type[ScriptedProvider], rt: Runtime
) -> None:
    job = await submit_job(scripted_request(polls=["running", "failed"], fail_message="NSFW"))
    result = await wait_job(job.id)
    assert result["status"] == "failed" and result["error"] == "NSFW"
    row = await jobs.get_job(rt.db, job.id)
    assert row.error_reason == "model_failed" and row.outputs == []


async def test_rate_limited_submit_is_retried_once_accepted(
    scripted: type[ScriptedProvider], rt: Runtime
) -> None:
    error = {"kind": "api", "status": 429, "times": 2, "retry_after": 0.01}
    job = await submit_job(scripted_request(submit_error=error))
    assert (await wait_job(job.id))["status"] == "succeeded"
    assert scripted.submissions[job.id] == 1
    assert (await jobs.get_job(rt.db, job.id)).submit_attempts == 3


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ({"kind": "job"}, "safety"),
        ({"kind": "quota"}, "quota"),
        ({"kind": "api", "status": 400, "retryable": False}, "input"),
    ],
)
async def test_submit_failures_that_must_not_be_repeated(
    scripted: type[ScriptedProvider], rt: Runtime, error: dict[str, Any], reason: str
) -> None:
    job = await submit_job(scripted_request(submit_error=error))
    result = await wait_job(job.id)
    assert result["status"] == "failed"
    row = await jobs.get_job(rt.db, job.id)
    assert row.submit_attempts == 1 and row.error_reason == reason


async def test_same_request_is_bought_once(scripted: type[ScriptedProvider]) -> None:
    first = await submit_job(scripted_request(seed=5))
    await wait_job(first.id)
    again = await submit_job(scripted_request(seed=5))
    assert again.id == first.id
    assert (await wait_job(again.id))["status"] == "succeeded"
    assert scripted.submissions[first.id] == 1
    other = await submit_job(scripted_request(seed=6))
    assert other.id != first.id
    assert (await wait_job(other.id))["status"] == "succeeded"


async def test_cancel_a_running_job(scripted: type[ScriptedProvider], rt: Runtime) -> None:
    job = await submit_job(scripted_request(polls=["running"]))
    for _ in range(100):
        if (await jobs.get_job(rt.db, job.id)).status == "running":
            break
        await asyncio.sleep(0.05)
    canceled = await cancel_job(rt, job.id)
    assert canceled.status == JobState.CANCELED
    await asyncio.sleep(0.3)
    assert (await jobs.get_job(rt.db, job.id)).status == "canceled"


async def one_slot_queue() -> None:
    """The scripted provider's queue, one job at a time, polled often."""
    from dbos import DBOS

    from storyreel.engine.workflows import queue_name

    await DBOS.register_queue_async(
        queue_name("scripted"),
        global_concurrency=1,
        polling_interval_sec=0.05,
        on_conflict="always_update",
    )


async def test_queue_concurrency_limits_parallel_jobs(
    scripted: type[ScriptedProvider], rt: Runtime, engine: Engine
) -> None:
    await one_slot_queue()
    first = await submit_job(scripted_request(seed=11, polls=["running"] * 6 + ["succeeded"]))
    second = await submit_job(scripted_request(seed=12))
    await asyncio.sleep(0.25)
    assert (await jobs.get_job(rt.db, second.id)).status == "queued"
    await wait_job(first.id)
    assert (await wait_job(second.id))["status"] == "succeeded"


async def test_a_full_queue_starts_the_job_with_the_lowest_priority_first(
    scripted: type[ScriptedProvider], rt: Runtime, engine: Engine
) -> None:
    """A story's clip queued after its panels' siblings still starts before them: the
    one slot, once free, goes to the clip (priority 1), then the panels (2) in order."""
    from storyreel.engine.service import enqueue_job

    await one_slot_queue()
    blocker = await submit_job(scripted_request(seed=20, polls=["running"] * 4 + ["succeeded"]))
    for _ in range(200):
        if scripted.submissions[blocker.id]:
            break
        await asyncio.sleep(0.05)
    queued = []
    for seed, priority in ((21, 2), (22, 2), (23, 2), (24, 1)):
        job, _ = await jobs.create_job(rt.db, scripted_request(seed=seed))
        await enqueue_job(job.id, "scripted", priority=priority)
        queued.append(job.id)
    for job_id in queued:
        assert (await wait_job(job_id))["status"] == "succeeded"
    panels, clip = queued[:3], queued[3]
    assert list(scripted.submissions) == [blocker.id, clip, *panels]


LOST = {"kind": "api", "status": None, "retryable": True}
"""A submit whose answer never came back: the provider may or may not have the job."""


async def test_a_lost_answer_without_a_lookup_is_resubmitted_and_flagged(
    scripted: type[ScriptedProvider], rt: Runtime
) -> None:
    job = await submit_job(scripted_request(submit_error=LOST))
    assert (await wait_job(job.id))["status"] == "succeeded"
    row = await jobs.get_job(rt.db, job.id)
    assert row.submit_attempts == 2 and row.possibly_billed_twice


async def test_a_lost_answer_can_stop_the_job_instead(
    scripted: type[ScriptedProvider], engine: Engine, rt: Runtime
) -> None:
    rt.settings.unknown_submit = "stop"
    job = await submit_job(scripted_request(submit_error=LOST))
    result = await wait_job(job.id)
    row = await jobs.get_job(rt.db, job.id)
    assert result["status"] == "failed" and row.error_reason == "unknown"
    assert "offers no way to look it up" in (row.error or "")
    assert row.submit_attempts == 1 and not row.possibly_billed_twice
    assert row.cost_usd is None  # it may have been billed: budgets keep its reservation


async def test_a_rate_limit_wait_is_shown_and_cleared(
    scripted: type[ScriptedProvider], rt: Runtime
) -> None:
    error = {"kind": "api", "status": 429, "times": 1, "retry_after": 1.5}
    job = await submit_job(scripted_request(submit_error=error))
    seen: set[str] = set()
    for _ in range(100):
        note = (await jobs.get_job(rt.db, job.id)).note
        if note:
            seen.add(note)
            break
        await asyncio.sleep(0.02)
    assert seen == {"scripted: rate limited, retrying in 2 s"}
    assert (await wait_job(job.id))["status"] == "succeeded"
    assert (await jobs.get_job(rt.db, job.id)).note is None
