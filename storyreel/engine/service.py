"""What the layers above call to run jobs: submit, wait, cancel.

``submit_job`` and ``wait_job`` need a started ``Engine`` in the process. ``cancel_job``
works with either the running engine or a ``DBOSClient`` (the CLI cancels without starting
an executor).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import structlog
from dbos import (
    DBOS,
    DBOSClient,
    WorkflowHandleAsync,
    run_dbos_database_migrations,
)

from storyreel.config import Settings, key_variable
from storyreel.errors import ConfigError, FailureReason, InputError, StoryreelError
from storyreel.providers.types import Handle, JobState
from storyreel.store.db import migrate
from storyreel.store.models import Job
from storyreel.vocabulary import GenerationRequest

from . import jobs, waits
from .app import Engine
from .events import job_event
from .pricing import estimate
from .runtime import Runtime, runtime
from .workflows import WORKFLOW_NAME, enqueue, queue_name

log = structlog.get_logger(__name__)


async def enqueue_job(
    job_id: str, provider: str, *, priority: int | None = None
) -> WorkflowHandleAsync[dict[str, Any]]:
    """Start (or re-attach to) the workflow of a job. Safe to call twice: the workflow id
    is the job id, so DBOS returns the existing workflow (with the priority it was first
    queued with).

    ``priority`` orders the provider's queue when it is full: lower first, jobs without
    one (a single ``generate``) ahead of all, first come first served among equals. It is
    stored with the queued workflow, so a job handed back after a crash keeps its place."""
    return await enqueue(job_id, provider, priority=priority)


async def enqueue_for_workers(client: DBOSClient, job_id: str, provider: str) -> None:
    """``enqueue_job`` from a process that is no executor (an API-only server): the job
    goes on its provider's queue for the worker processes to run."""
    await client.enqueue_async(
        {"queue_name": queue_name(provider), "workflow_name": WORKFLOW_NAME, "workflow_id": job_id},
        job_id,
    )


def preflight_request(rt: Runtime, req: GenerationRequest, *, need_key: bool = True) -> None:
    """The checks only a running engine can make, before a job exists: the provider is
    installed, can take the request, and (``need_key``) has its key here. A process that
    only queues work for workers (``storyreel serve --no-jobs``) passes ``need_key=False``:
    the key lives with the workers."""
    provider = rt.provider(req.provider)
    provider.check(req)
    if need_key and not provider.available():
        env = key_variable(req.provider)
        raise ConfigError(f"provider {req.provider!r} has no API key here: set {env}")


async def submit_job(
    req: GenerationRequest,
    *,
    project_id: str | None = None,
    estimate_usd: Decimal | None = None,
    rt: Runtime | None = None,
    client: DBOSClient | None = None,
    reuse: bool = True,
) -> Job:
    """Create (or reuse) the job for ``req`` and queue it on its provider's queue. A
    provider that cannot take the request, or has no key here, is refused before any job
    exists: a queued job would otherwise be bought later, whenever a key appears.

    Without ``rt``/``client`` the process's running engine does it; with a ``client`` the
    job is queued for worker processes and no provider key is needed here.
    ``reuse=False`` buys it again even when an identical job succeeded (a retry)."""
    rt = rt or runtime()
    preflight_request(rt, req, need_key=client is None)
    if estimate_usd is None:
        estimate_usd = estimate(rt.settings, req)
    job, _created = await jobs.create_job(
        rt.db, req, project_id=project_id, estimate_usd=estimate_usd, reuse=reuse
    )
    if client is not None:
        await enqueue_for_workers(client, job.id, job.provider)
    else:
        await enqueue_job(job.id, job.provider)
    return job


async def wait_job(job_id: str) -> dict[str, Any]:
    """The job's workflow result, once it ends; waiting polls nothing (``waits``). The
    handle is made without reading the status row (the watch's first look, shared by
    every waiter that arrives with this one, also finds a workflow that does not exist)."""
    handle: WorkflowHandleAsync[dict[str, Any]] = await DBOS.retrieve_workflow_async(
        job_id, existing_workflow=False
    )
    return await waits.result(handle)


async def cancel_job(rt: Runtime, job_id: str, *, client: DBOSClient | None = None) -> Job:
    """Stop a job: mark it canceled, cancel its workflow, and tell the provider."""
    job = await jobs.get_job(rt.db, job_id)
    if JobState(job.status).terminal:
        raise InputError(f"job {job_id} is already {job.status}")
    await jobs.transition(
        rt.db,
        job_id,
        JobState.CANCELED,
        error="canceled by user",
        error_reason=FailureReason.CANCELED.value,
    )
    job_event("job canceled by user", job_id, provider=job.provider, model=job.model)
    if client is not None:
        await client.cancel_workflow_async(job_id)
    else:
        await DBOS.cancel_workflow_async(job_id)
    if job.handle is not None:
        try:
            await rt.provider(job.provider).cancel(Handle.model_validate(job.handle))
        except StoryreelError as exc:
            log.warning("provider cancel failed", job_id=job_id, error=str(exc))
    return await jobs.get_job(rt.db, job_id)


async def run_job(
    settings: Settings, build: Callable[[Runtime], GenerationRequest]
) -> tuple[Job, dict[str, Any]]:
    """Start an engine, submit the request ``build`` makes (it may store reference files
    first), wait for it; return the final job (after any failover) and its result."""
    async with Engine(settings) as engine:
        assert engine.runtime is not None
        req = build(engine.runtime)
        job = await submit_job(req)
        result = await wait_job(job.id)
        final = await jobs.get_job(engine.runtime.db, result.get("job_id") or job.id)
        return final, result


@asynccontextmanager
async def open_client(settings: Settings) -> AsyncIterator[tuple[Runtime, DBOSClient]]:
    """The store plus a DBOS client, without becoming an executor. DBOS's own tables are
    created here too: a client never creates them, and an API-only server may start
    before any worker has."""
    await asyncio.to_thread(migrate, settings.app_database_url)
    await asyncio.to_thread(run_dbos_database_migrations, settings.system_database_url)
    rt = Runtime.build(settings)
    client = await asyncio.to_thread(DBOSClient, system_database_url=settings.system_database_url)
    try:
        yield rt, client
    finally:
        await asyncio.to_thread(client.destroy)
        await rt.close()
