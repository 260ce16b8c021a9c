"""The job services the CLI and the API share: filters, paging, retry, live progress."""

from __future__ import annotations

import pytest

from storyreel.engine import jobs as job_rows
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import wait_job
from storyreel.errors import InputError
from storyreel.providers.types import JobState
from storyreel.services import jobs
from storyreel.vocabulary import GenerationRequest, Task


def sketch(seed: int) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt="a lighthouse", seed=seed
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_retry_makes_a_new_job_only_for_failed_or_canceled(rt: Runtime) -> None:
    job, _ = await job_rows.create_job(rt.db, sketch(1))
    with pytest.raises(InputError, match="only failed or canceled"):
        await jobs.retry(rt, job.id)
    await job_rows.transition(rt.db, job.id, JobState.FAILED, error="boom")
    again = await jobs.retry(rt, job.id)
    assert again.id != job.id and again.request == job.request
    assert (await wait_job(again.id))["status"] == "succeeded"
    old = await jobs.get_job(rt, job.id)
    assert old.status == "failed" and old.error == "boom"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_list_filters_and_keyset_pages(rt: Runtime) -> None:
    made = [(await job_rows.create_job(rt.db, sketch(seed)))[0] for seed in range(5)]
    page, more = await jobs.list_jobs(rt, limit=2)
    assert [j.id for j in page] == [made[4].id, made[3].id] and more == made[3].id
    rest, end = await jobs.list_jobs(rt, before=more, limit=10)
    assert [j.id for j in rest] == [j.id for j in reversed(made[:3])] and end is None
    assert (await jobs.list_jobs(rt, model="nope:model"))[0] == []
    assert len((await jobs.list_jobs(rt, task="text-to-image", limit=10))[0]) == 5


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_queue_position_counts_jobs_ahead_on_the_same_provider(rt: Runtime) -> None:
    first, _ = await job_rows.create_job(rt.db, sketch(1))
    second, _ = await job_rows.create_job(rt.db, sketch(2))
    assert await jobs.queue_position(rt, first) == 0
    assert await jobs.queue_position(rt, second) == 1
    await job_rows.transition(rt.db, first.id, JobState.FAILED, error="x")
    done = await jobs.get_job(rt, first.id)
    assert await jobs.queue_position(rt, done) is None
    snapshot = await jobs.progress(rt, second.id)
    assert snapshot.queue_position == 0 and snapshot.phase == "queued"
    assert snapshot.as_dict()["job_id"] == second.id
