"""Batched job creation: one transaction for many requests, de-duplicated like
``create_job`` (including through failover)."""

from __future__ import annotations

from storyreel.engine import jobs
from storyreel.engine.runtime import Runtime
from storyreel.providers.types import JobState
from storyreel.vocabulary import GenerationRequest, Task


def request(n: int) -> GenerationRequest:
    return GenerationRequest(task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt=f"p{n}")


async def test_create_jobs_reuses_like_create_job_and_follows_failover(rt: Runtime) -> None:
    failed, _ = await jobs.create_job(rt.db, request(1))
    successor, _ = await jobs.create_job(rt.db, request(99))
    await jobs.transition(rt.db, failed.id, JobState.FAILED, failover_to=successor.id)
    running, _ = await jobs.create_job(rt.db, request(2))

    made = await jobs.create_jobs(
        rt.db, [(request(1), None), (request(2), None), (request(3), None), (request(3), None)]
    )
    assert [(job.id, created) for job, created in made[:2]] == [
        (successor.id, False),
        (running.id, False),
    ]
    assert made[2][1] is True and made[3][0].id == made[2][0].id and made[3][1] is False
    assert (await jobs.get_job(rt.db, made[2][0].id)).status == JobState.QUEUED.value
