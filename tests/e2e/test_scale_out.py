"""Scale-out on PostgreSQL: two ``storyreel worker`` processes share one provider queue.

The test process only creates job rows and enqueues workflows through a ``DBOSClient``; it
never executes anything, so every job that finishes was run by one of the workers.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
from dbos import DBOSClient, EnqueueOptions
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from storyreel.config import Settings
from storyreel.engine import jobs
from storyreel.engine.runtime import Runtime
from storyreel.engine.workflows import WORKFLOW_NAME, queue_name
from storyreel.store.models import Executor
from storyreel.vocabulary import GenerationRequest, Task

from .helpers import cli_env, spawn

pytestmark = pytest.mark.slow

JOBS = 8


async def _live_executors(settings: Settings) -> int:
    rt = Runtime.build(settings)
    try:
        async with rt.db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Executor)) or 0)
    except SQLAlchemyError:
        return 0
    finally:
        await rt.db.close()


async def _enqueue(settings: Settings) -> list[str]:
    rt = Runtime.build(settings)
    client = DBOSClient(system_database_url=settings.system_database_url)
    ids = []
    try:
        for n in range(JOBS):
            req = GenerationRequest(
                task=Task.TEXT_TO_IMAGE,
                model="sketch:previz",
                prompt=f"frame {n}",
                width=160,
                height=90,
            )
            job, _ = await jobs.create_job(rt.db, req)
            options: EnqueueOptions = {
                "workflow_name": WORKFLOW_NAME,
                "queue_name": queue_name("sketch"),
                "workflow_id": job.id,
            }
            await client.enqueue_async(options, job.id)
            ids.append(job.id)
    finally:
        client.destroy()
        await rt.db.close()
    return ids


async def _finished(settings: Settings, ids: list[str]) -> tuple[int, set[str]]:
    rt = Runtime.build(settings)
    client = DBOSClient(system_database_url=settings.system_database_url)
    try:
        rows = [await jobs.get_job(rt.db, i) for i in ids]
        statuses = await client.list_workflows_async(workflow_ids=ids)
    finally:
        client.destroy()
        await rt.db.close()
    done = sum(r.status == "succeeded" for r in rows)
    return done, {s.executor_id or "" for s in statuses}


def test_two_workers_share_the_queue(tmp_path: Path, postgres_url: str) -> None:
    env = cli_env(
        tmp_path / "data",
        STORYREEL_DATABASE_URL=postgres_url,
        STORYREEL_PROVIDERS__SKETCH__LATENCY="0.5",
        STORYREEL_PROVIDERS__SKETCH__CONCURRENCY="4",
        STORYREEL_PROVIDERS__SKETCH__WORKER_CONCURRENCY="2",
    )
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    workers = [spawn("worker", env=env, cwd=tmp_path) for _ in range(2)]
    try:
        deadline = time.monotonic() + 90
        while asyncio.run(_live_executors(settings)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        ids = asyncio.run(_enqueue(settings))
        done, executors = 0, set()
        while done < JOBS and time.monotonic() < deadline:
            time.sleep(0.5)
            done, executors = asyncio.run(_finished(settings, ids))
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [w.communicate(timeout=30)[0] for w in workers]
    assert done == JOBS, outputs
    assert len(executors) == 2, f"work was not shared: {executors}"
