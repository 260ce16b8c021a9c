"""Jobs as the faces see them: list, read, cancel, retry, and what a job is doing now.

Every function reads the job table and DBOS's workflow records, so it answers the same
for a job running in this process, in a worker on another machine, or already finished.
``client`` is a ``DBOSClient`` for processes that are not executors (the CLI's ``jobs``
commands, an API-only server); without it the process's running engine is used.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dbos import DBOS, DBOSClient
from sqlalchemy import func, select

from storyreel.engine import jobs as job_rows
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import cancel_job, submit_job
from storyreel.errors import InputError
from storyreel.providers.types import JobState
from storyreel.store.models import Job
from storyreel.vocabulary import GenerationRequest

RETRYABLE = {JobState.FAILED.value, JobState.CANCELED.value}


async def list_jobs(
    rt: Runtime,
    *,
    status: JobState | None = None,
    project_id: str | None = None,
    model: str | None = None,
    task: str | Collection[str] | None = None,
    before: str | None = None,
    limit: int = 50,
    provider: str | None = None,
) -> tuple[Sequence[Job], str | None]:
    """Newest first; returns the page and the ``before`` cursor of the next one (None on
    the last page). Keyset-paginated, so page 1,000 costs what page 1 costs."""
    rows = await job_rows.list_jobs(
        rt.db,
        status=status,
        project_id=project_id,
        model=model,
        task=task,
        before=before,
        limit=limit,
        provider=provider,
    )
    more = rows[-1].id if len(rows) == limit else None
    return rows, more


async def get_job(rt: Runtime, job_id: str) -> Job:
    return await job_rows.get_job(rt.db, job_id)


async def cancel(rt: Runtime, job_id: str, *, client: DBOSClient | None = None) -> Job:
    """Stop a queued or running job (and tell its provider)."""
    return await cancel_job(rt, job_id, client=client)


async def retry(rt: Runtime, job_id: str, *, client: DBOSClient | None = None) -> Job:
    """A new job with the same request as a failed or canceled one; the old one stays as
    it was (its cost and error are history)."""
    job = await job_rows.get_job(rt.db, job_id)
    if job.status not in RETRYABLE:
        raise InputError(f"job {job_id} is {job.status}; only failed or canceled jobs are retried")
    req = GenerationRequest.model_validate(job.request)
    new = await submit_job(req, project_id=job.project_id, rt=rt, client=client, reuse=False)
    return await job_rows.get_job(rt.db, new.id)


async def _steps(job_id: str, client: DBOSClient | None) -> list[Any]:
    if client is not None:
        return list(await client.list_workflow_steps_async(job_id))
    return list(await DBOS.list_workflow_steps_async(job_id))


async def downloading(job_id: str, client: DBOSClient | None = None) -> bool:
    """Whether the job's workflow is past its last poll, fetching the outputs: its last
    recorded step is a poll that saw success, or a download not yet finished."""
    steps = await _steps(job_id, client)
    if not steps:
        return False
    last = steps[-1]
    if last["function_name"] == "storyreel.download":
        return last["completed_at_epoch_ms"] is None
    output: Any = last["output"]
    return (
        last["function_name"] == "storyreel.poll"
        and isinstance(output, dict)
        and output.get("state") == JobState.SUCCEEDED.value
    )


async def phase(job: Job, client: DBOSClient | None = None) -> str:
    """What the job is doing, in the words the story progress uses: queued, submitting,
    running (with the provider's percent where it gives one), downloading, or its final
    status."""
    if job.status != JobState.RUNNING.value:
        return job.status
    if job.handle is None:
        return "submitting"
    if job.finished_at is not None or await downloading(job.id, client):
        return "downloading"  # seen done by a poll, outputs being fetched
    return "running" + (f" {job.progress:.0%}" if job.progress else "")


async def queue_position(rt: Runtime, job: Job) -> int | None:
    """How many queued jobs of the same provider are ahead of this one (0: next), or None
    when it is not queued."""
    if job.status != JobState.QUEUED.value:
        return None
    async with rt.db.session() as session:
        ahead = await session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.provider == job.provider,
                Job.status == JobState.QUEUED.value,
                Job.id < job.id,
            )
        )
    return int(ahead or 0)


@dataclass(frozen=True)
class JobProgress:
    """One look at a job, for live displays (the CLI's lines, the API's event stream)."""

    job_id: str
    status: str
    phase: str
    percent: float | None
    queue_position: int | None
    note: str | None
    error: str | None
    error_reason: str | None
    failover_to: str | None
    estimate_usd: Decimal | None
    cost_usd: Decimal | None

    @property
    def terminal(self) -> bool:
        return JobState(self.status).terminal

    def as_dict(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        for key in ("estimate_usd", "cost_usd"):
            data[key] = None if data[key] is None else str(data[key])
        return data


async def progress(rt: Runtime, job_id: str, client: DBOSClient | None = None) -> JobProgress:
    job = await job_rows.get_job(rt.db, job_id)
    return JobProgress(
        job_id=job.id,
        status=job.status,
        phase=await phase(job, client),
        percent=job.progress,
        queue_position=await queue_position(rt, job),
        note=job.note,
        error=job.error,
        error_reason=job.error_reason,
        failover_to=job.failover_to,
        estimate_usd=job.estimate_usd,
        cost_usd=job.cost_usd,
    )


async def final_job(rt: Runtime, job_id: str) -> Job:
    """The job that really ran ``job_id``'s request: itself, or the end of its failover
    chain."""
    job = await job_rows.get_job(rt.db, job_id)
    for _ in range(job_rows.MAX_FAILOVER_HOPS):
        if not job.failover_to:
            break
        job = await job_rows.get_job(rt.db, job.failover_to)
    return job
