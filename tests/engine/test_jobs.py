"""Batched job creation: one transaction for many requests, de-duplicated like
``create_job`` (including through failover)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, text

from storyreel.engine import jobs
from storyreel.engine.runtime import Runtime
from storyreel.providers.types import JobState
from storyreel.store.models import CostEntry, Job
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


async def test_a_created_job_is_the_stored_row_with_its_estimate(rt: Runtime) -> None:
    """``create_job`` writes with Core inserts and hands back the object it built: every
    column must match what the store then reads, and the estimate is on record."""
    made, created = await jobs.create_job(rt.db, request(7), estimate_usd=Decimal("0.04"))
    assert created
    stored = await jobs.get_job(rt.db, made.id)
    columns = [c.key for c in Job.__mapper__.column_attrs]
    as_made = {c: getattr(made, c) for c in columns}
    as_stored = {c: getattr(stored, c) for c in columns}
    for when in ("created_at", "updated_at"):  # SQLite hands times back without a zone
        assert as_made.pop(when).replace(tzinfo=None) == as_stored.pop(when).replace(tzinfo=None)
    assert as_made == as_stored
    assert stored.status == JobState.QUEUED.value and stored.submit_attempts == 0
    async with rt.db.read() as session:
        costs = (await session.execute(select(CostEntry.kind, CostEntry.amount_usd))).all()
        unset = await session.scalar(
            text("SELECT count(*) FROM jobs WHERE handle IS NULL AND usage IS NULL")
        )
    assert [(kind, Decimal(amount)) for kind, amount in costs] == [("estimate", Decimal("0.04"))]
    assert unset == 1, "no handle yet is SQL NULL, not the JSON text 'null'"
    again, created = await jobs.create_job(rt.db, request(7), estimate_usd=Decimal("0.04"))
    assert (again.id, created) == (made.id, False)
