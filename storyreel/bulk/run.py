"""Running a bulk on the durable engine: create every job in one transaction, queue
them, download each video as it lands, and export the folder.

Each item's video is an ordinary generation job (one DBOS workflow per job, on its
provider's queue, with budgets, failover and the engine's no-double-purchase submit
reconciliation). Killing the process loses nothing: its workflows are recovered by the
next engine process, and running the same bulk again (same inputs, same key) re-attaches
to the same jobs, so nothing is bought twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from dbos import DBOSClient, WorkflowHandleAsync
from dbos import error as dbos_errors
from sqlalchemy import func, select

from storyreel.config import Settings
from storyreel.engine import jobs, waits
from storyreel.engine.app import Engine
from storyreel.engine.budget import project_spend
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import enqueue_for_workers, enqueue_job, preflight_request
from storyreel.errors import FailureReason, InputError, NotFound
from storyreel.store.models import Bulk, BulkItem, Job, Project

from .export import ExportResult, export_bulk, place_outputs
from .plan import BulkPlan
from .rows import CreatedBulk, create_bulk, relink

PROGRESS_SECONDS = 0.5


@dataclass(frozen=True)
class BulkStatus:
    """Where a bulk stands, from the store: its jobs by state and its money."""

    bulk_id: str
    title: str
    items: int
    jobs: int
    states: dict[str, int]
    estimate_usd: Decimal | None
    spent_usd: Decimal
    budget_usd: Decimal | None

    @property
    def finished(self) -> int:
        return sum(n for s, n in self.states.items() if s in ("succeeded", "failed", "canceled"))


async def bulk_status(rt: Runtime, bulk_id: str) -> BulkStatus:
    async with rt.db.session() as session:
        bulk = await session.get(Bulk, bulk_id)
        if bulk is None:
            raise NotFound(f"no bulk {bulk_id!r}")
        project = await session.get(Project, bulk.project_id)
        per_job = (
            select(Job.id, Job.status, Job.estimate_usd)
            .join(BulkItem, BulkItem.job_id == Job.id)
            .where(BulkItem.bulk_id == bulk_id)
            .distinct()
            .subquery()
        )
        rows = (
            await session.execute(
                select(per_job.c.status, func.count(), func.sum(per_job.c.estimate_usd)).group_by(
                    per_job.c.status
                )
            )
        ).all()
        spent = await project_spend(session, bulk.project_id)
    states = {status: int(count) for status, count, _ in rows}
    estimate = sum((Decimal(str(total or 0)) for _, _, total in rows), Decimal(0))
    return BulkStatus(
        bulk_id=bulk.id,
        title=bulk.title,
        items=len(bulk.items),
        jobs=sum(states.values()),
        states=states,
        estimate_usd=estimate,
        spent_usd=spent,
        budget_usd=project.budget_usd if project else None,
    )


async def start_bulk(
    rt: Runtime, plan: BulkPlan, *, budget_usd: Decimal | None = None
) -> tuple[CreatedBulk, list[WorkflowHandleAsync[dict[str, Any]]]]:
    """Create (or find) the bulk and its jobs, then queue every job on this engine.
    Queuing a job that is already queued, running or finished re-attaches to it."""
    preflight_request(rt, plan.items[0].request)
    created = await create_bulk(rt, plan, budget_usd=budget_usd)
    handles = [await enqueue_job(job_id, provider) for job_id, provider in created.jobs]
    return created, handles


async def queue_bulk(
    rt: Runtime, plan: BulkPlan, *, budget_usd: Decimal | None = None, client: DBOSClient
) -> CreatedBulk:
    """``start_bulk`` from a process that runs no jobs (an API-only server): the jobs go
    on their providers' queues for the workers, which hold the keys."""
    preflight_request(rt, plan.items[0].request, need_key=False)
    created = await create_bulk(rt, plan, budget_usd=budget_usd)
    for job_id, provider in created.jobs:
        await enqueue_for_workers(client, job_id, provider)
    return created


@dataclass
class BulkOutcome:
    created: CreatedBulk
    status: BulkStatus
    export: ExportResult
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(job id, error) of every job that did not produce a video."""
    budget_stopped: bool = False


async def _finish_one(
    rt: Runtime,
    bulk_id: str,
    handle: WorkflowHandleAsync[dict[str, Any]],
    prompts: dict[str, str],
    out_dir: Path,
) -> tuple[str, dict[str, Any]]:
    """Wait for one job; download its video as soon as it lands."""
    job_id = handle.workflow_id
    try:
        result: dict[str, Any] = await waits.result(handle)
    except dbos_errors.DBOSAwaitedWorkflowCancelledError:
        result = {"status": "canceled", "error": "canceled by user"}
    final_id = result.get("job_id") or job_id
    if final_id != job_id:
        await relink(rt, bulk_id, job_id, final_id)
    if result.get("status") == "succeeded":
        job = await jobs.get_job(rt.db, final_id)
        await asyncio.to_thread(place_outputs, rt, job, prompts[job_id], out_dir)
    return job_id, result


async def finish_bulk(
    rt: Runtime,
    created: CreatedBulk,
    handles: list[WorkflowHandleAsync[dict[str, Any]]],
    out_dir: Path,
    *,
    on_progress: Callable[[BulkStatus], None] | None = None,
) -> BulkOutcome:
    """Wait for every job (no polling: ``engine.waits``), downloading as they land, then
    export the folder and its ``index.csv``."""
    bulk = await _load(rt, created.bulk_id)
    prompts = {item.job_id: item.prompt for item in bulk.items if item.job_id}
    out_dir.mkdir(parents=True, exist_ok=True)
    watcher = asyncio.create_task(_watch(rt, created.bulk_id, on_progress)) if on_progress else None
    try:
        results = await asyncio.gather(
            *(_finish_one(rt, created.bulk_id, h, prompts, out_dir) for h in handles)
        )
    finally:
        if watcher is not None:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
    exported = await export_bulk(rt, created.bulk_id, out_dir)
    status = await bulk_status(rt, created.bulk_id)
    if on_progress is not None:
        on_progress(status)
    failed = [
        (job_id, str(result.get("error") or result.get("status")))
        for job_id, result in results
        if result.get("status") != "succeeded"
    ]
    budget = any(r.get("reason") == FailureReason.BUDGET.value for _, r in results)
    return BulkOutcome(created, status, exported, failed, budget)


async def _load(rt: Runtime, bulk_id: str) -> Bulk:
    async with rt.db.session() as session:
        bulk = await session.get(Bulk, bulk_id)
        assert bulk is not None
        return bulk


async def _watch(rt: Runtime, bulk_id: str, on_progress: Callable[[BulkStatus], None]) -> None:
    while True:
        with contextlib.suppress(Exception):  # a display must never stop the run
            on_progress(await bulk_status(rt, bulk_id))
        await asyncio.sleep(PROGRESS_SECONDS)


async def run_bulk(
    settings: Settings,
    plan: BulkPlan,
    out_dir: Path,
    *,
    budget_usd: Decimal | None = None,
    on_created: Callable[[CreatedBulk], None] | None = None,
    on_progress: Callable[[BulkStatus], None] | None = None,
) -> BulkOutcome:
    """Start an engine in this process and run the bulk to its end (the CLI's path)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} is a file; give a folder (new or existing)")
    async with Engine(settings) as engine:
        assert engine.runtime is not None
        created, handles = await start_bulk(engine.runtime, plan, budget_usd=budget_usd)
        if on_created is not None:
            on_created(created)
        return await finish_bulk(engine.runtime, created, handles, out_dir, on_progress=on_progress)
