"""Job rows: creation with de-duplication, and compare-and-set status changes.

Status changes are ``UPDATE ... WHERE status IN (<allowed from>)`` so a webhook, a poller
and a cancel racing on one job produce exactly one transition, and a terminal state is
final.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import noload

from storyreel.errors import NotFound
from storyreel.ids import new_id
from storyreel.providers.types import TERMINAL_STATES, JobState
from storyreel.store.db import Database
from storyreel.store.models import CostEntry, Job, utcnow
from storyreel.vocabulary import GenerationRequest

from .events import job_event

ACTIVE = (JobState.QUEUED, JobState.RUNNING)
REUSABLE = (JobState.SUCCEEDED, *ACTIVE)


MAX_FAILOVER_HOPS = 16

_JOBS = cast(Table, Job.__table__)
_COSTS = cast(Table, CostEntry.__table__)


async def find_reusable(session: AsyncSession, request_hash: str) -> Job | None:
    """A finished or still-running job for the same request: buying it again would pay
    twice. Reuse follows failover: a failed job whose successor (or its successor's
    successor) succeeded or still runs is as good as that successor, which is returned.
    A failed or canceled job with no such successor is not reused: a retry makes a new job.
    """
    stmt = (
        select(Job)
        .where(Job.request_hash == request_hash, Job.status != JobState.CANCELED.value)
        .order_by(Job.id.desc())
        .limit(MAX_FAILOVER_HOPS)
    )
    for job in (await session.execute(stmt)).scalars().all():
        found = await _follow_failover(session, job)
        if found is not None:
            return found
    return None


async def _follow_failover(session: AsyncSession, job: Job | None) -> Job | None:
    reusable = {s.value for s in REUSABLE}
    for _ in range(MAX_FAILOVER_HOPS):
        if job is None:
            return None
        if job.status in reusable:
            return job
        if job.status != JobState.FAILED.value or not job.failover_to:
            return None
        job = await session.get(Job, job.failover_to)
    return None


async def find_reusable_many(session: AsyncSession, hashes: set[str]) -> dict[str, Job]:
    """``find_reusable`` for many request hashes in one query (plus one per failover hop):
    hash -> the job to reuse, for the hashes that have one."""
    if not hashes:
        return {}
    stmt = (
        select(Job)
        .where(Job.request_hash.in_(hashes), Job.status != JobState.CANCELED.value)
        .order_by(Job.id.desc())
    )
    candidates: dict[str, list[Job]] = {}
    for job in (await session.execute(stmt)).scalars().all():
        candidates.setdefault(job.request_hash, []).append(job)
    found: dict[str, Job] = {}
    for key, jobs in candidates.items():
        for job in jobs[:MAX_FAILOVER_HOPS]:
            if (reusable := await _follow_failover(session, job)) is not None:
                found[key] = reusable
                break
    return found


async def create_jobs_in(
    session: AsyncSession,
    items: Sequence[tuple[GenerationRequest, Decimal | None]],
    *,
    project_id: str | None = None,
) -> list[tuple[Job, bool]]:
    """``create_job`` for many requests inside the caller's transaction: one lookup for
    all their hashes, one flush for the new rows. A request repeated in ``items`` gets the
    same job. Returns (job, created) in the order of ``items``."""
    keys = [req.cache_key() for req, _ in items]
    known = await find_reusable_many(session, set(keys))
    out: list[tuple[Job, bool]] = []
    new: list[tuple[Job, Decimal | None]] = []
    for (req, estimate_usd), key in zip(items, keys, strict=True):
        if key in known:
            out.append((known[key], False))
            continue
        job = _new_job(req, key, project_id, estimate_usd)
        known[key] = job
        new.append((job, estimate_usd))
        out.append((job, True))
    if new:
        session.add_all([job for job, _ in new])
        await session.flush()  # the jobs first: the cost entries refer to them
        session.add_all(
            [
                CostEntry(job_id=job.id, kind="estimate", amount_usd=usd)
                for job, usd in new
                if usd is not None
            ]
        )
        await session.flush()
        for job, _ in new:
            _created(job)
    return out


async def create_jobs(
    db: Database,
    items: Sequence[tuple[GenerationRequest, Decimal | None]],
    *,
    project_id: str | None = None,
) -> list[tuple[Job, bool]]:
    """``create_jobs_in`` as one transaction of its own (a story's or a bulk run's jobs)."""
    async with db.session() as session:
        return await create_jobs_in(session, items, project_id=project_id)


def _new_job(
    req: GenerationRequest, key: str, project_id: str | None, estimate_usd: Decimal | None
) -> Job:
    return Job(
        task=req.task.value,
        provider=req.provider,
        model=req.model,
        status=JobState.QUEUED.value,
        request=req.model_dump(mode="json"),
        request_hash=key,
        project_id=project_id,
        estimate_usd=estimate_usd,
    )


async def create_job(
    db: Database,
    req: GenerationRequest,
    *,
    project_id: str | None = None,
    estimate_usd: Decimal | None = None,
    reuse: bool = True,
) -> tuple[Job, bool]:
    """Insert a queued job for ``req``, or return the reusable one. Returns (job, created)."""
    key = req.cache_key()
    async with db.session() as session:
        if reuse and (existing := await find_reusable(session, key)) is not None:
            return existing, False
        job = _new_job(req, key, project_id, estimate_usd)
        # Core inserts with every value set here, not the ORM's unit of work (two flushes
        # for two rows): a third of what creating a job cost. The returned row is the same.
        now = utcnow()
        job.id, job.created_at, job.updated_at = new_id(), now, now
        job.submit_attempts, job.possibly_billed_twice, job.polls = 0, False, 0
        # None left out, not written: a JSON column would store the JSON text 'null'
        values = {c.key: getattr(job, c.key) for c in _JOBS.c}
        await session.execute(insert(_JOBS), [{k: v for k, v in values.items() if v is not None}])
        if estimate_usd is not None:
            await session.execute(
                insert(_COSTS),
                [
                    {
                        "id": new_id(),
                        "job_id": job.id,
                        "kind": "estimate",
                        "amount_usd": estimate_usd,
                        "note": "",
                        "created_at": now,
                    }
                ],
            )
    _created(job)
    return job, True


def _created(job: Job) -> None:
    job_event(
        "job created",
        job.id,
        provider=job.provider,
        model=job.model,
        task=job.task,
        estimate_usd=job.estimate_usd,
        project_id=job.project_id,
    )


@cache
def _no_outputs() -> tuple[Any, ...]:
    """Built once, on first use (not at import: SQLAlchemy warns that ``noload`` is
    deprecated, and a warning at import is logged, creating the data dir, by commands that
    must write nothing): constructing a loader option is a measurable part of a job's CPU."""
    return (noload(Job.outputs),)


async def get_job(db: Database, job_id: str, *, outputs: bool = True) -> Job:
    """The job; ``outputs=False`` leaves ``job.outputs`` unloaded (one query fewer, for the
    steps that never read them)."""
    options = () if outputs else _no_outputs()
    async with db.read() as session:
        job = await session.get(Job, job_id, options=options)
        if job is None:
            raise NotFound(f"no job {job_id!r}")
        return job


async def transition(
    db: Database,
    job_id: str,
    to: JobState,
    *,
    allowed_from: Iterable[JobState] = ACTIVE,
    **values: Any,
) -> bool:
    """Move a job to ``to`` if it is in ``allowed_from``; False if someone else won."""
    if to in TERMINAL_STATES:
        values.setdefault("finished_at", utcnow())
    stmt = (
        update(Job)
        .where(Job.id == job_id, Job.status.in_([s.value for s in allowed_from]))
        .values(status=to.value, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    async with db.session() as session:
        result = await session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]


_ADOPT = (
    update(_JOBS)
    .where(_JOBS.c.id == bindparam("job_id"))
    .values(
        handle=bindparam("handle"),
        note=None,
        status=case(
            (_JOBS.c.status == JobState.QUEUED.value, JobState.RUNNING.value),
            else_=_JOBS.c.status,
        ),
        updated_at=bindparam("now"),
    )
)
"""Built once, run as Core: a job's hot path pays neither statement construction nor the
ORM's bulk-update machinery."""


async def adopt_handle(db: Database, job_id: str, handle: dict[str, Any]) -> None:
    """Store a submitted job's handle (whatever its state: a cancel needs it too) and move
    it from queued to running: one transaction, where there were two."""
    async with db.session() as session:
        await session.execute(_ADOPT, {"job_id": job_id, "handle": handle, "now": utcnow()})


async def update_job(db: Database, job_id: str, **values: Any) -> None:
    async with db.session() as session:
        await session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )


async def list_jobs(
    db: Database,
    *,
    status: JobState | None = None,
    project_id: str | None = None,
    model: str | None = None,
    task: str | Collection[str] | None = None,
    before: str | None = None,
    limit: int = 50,
    provider: str | None = None,
) -> Sequence[Job]:
    """Newest first, keyset-paginated by id (ULIDs sort by creation time)."""
    stmt = select(Job).order_by(Job.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Job.status == status.value)
    if provider is not None:
        stmt = stmt.where(Job.provider == provider)
    if model is not None:
        stmt = stmt.where(Job.model == model)
    if isinstance(task, str):
        stmt = stmt.where(Job.task == task)
    elif task is not None:
        stmt = stmt.where(Job.task.in_(list(task)))
    if project_id is not None:
        stmt = stmt.where(Job.project_id == project_id)
    if before is not None:
        stmt = stmt.where(Job.id < before)
    async with db.session() as session:
        return (await session.execute(stmt)).scalars().all()
