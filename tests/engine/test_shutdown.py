"""Stopping an engine mid-job leaves nothing running and loses nothing."""

from __future__ import annotations

import asyncio
import threading
import time

from dbos import DBOS

from storyreel.config import Settings
from storyreel.engine import jobs
from storyreel.engine.app import Engine
from storyreel.engine.service import submit_job, wait_job
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task


def _workflow_tasks_on_this_loop() -> list[asyncio.Task[object]]:
    return [
        task
        for task in asyncio.all_tasks()
        if "_execute_workflow_async" in repr(task.get_coro()) and not task.done()
    ]


def _sqlite_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


async def test_stop_mid_job_cancels_its_workflow_and_the_next_engine_finishes_it(
    settings: Settings,
) -> None:
    ScriptedProvider.reset()
    request = GenerationRequest(
        task=Task.TEXT_TO_IMAGE,
        model="scripted:test",
        prompt="a slow one",
        seed=3,
        extra={"polls": ["running"] * 20 + ["succeeded"]},
    )
    settings = settings.model_copy(update={"executor_id": "stopper"})
    threads_before = _sqlite_threads()  # other tests' connections are not ours to judge
    async with Engine(settings) as engine:
        await engine.add_provider(ScriptedProvider)
        assert engine.runtime is not None
        job = await submit_job(request)
        deadline = time.monotonic() + 30
        while (await jobs.get_job(engine.runtime.db, job.id)).polls < 2:
            assert time.monotonic() < deadline, "the job never started polling"
            await asyncio.sleep(0.01)
        assert _workflow_tasks_on_this_loop(), "the job's workflow runs on this loop"
    # Stopped: no workflow of it runs on, no SQLite thread outlives it, the job is pending.
    assert _workflow_tasks_on_this_loop() == []
    assert _sqlite_threads() - threads_before == set()
    async with Engine(settings, providers=[ScriptedProvider]):
        status = await DBOS.get_workflow_status_async(job.id)
        assert status is not None
        result = await asyncio.wait_for(wait_job(job.id), 60)
    assert result["status"] == "succeeded"
    assert ScriptedProvider.submissions[job.id] == 1


async def test_stop_during_a_submit_lets_it_finish_so_resuming_does_not_buy_again(
    settings: Settings,
) -> None:
    ScriptedProvider.reset()
    request = GenerationRequest(
        task=Task.TEXT_TO_IMAGE,
        model="scripted:test",
        prompt="a slow submit",
        seed=4,
        # Wide enough that the loop below sees the attempt recorded before the submit ends,
        # even on a busy CI machine (0.5 s was missed once).
        extra={"submit_delay": 2.0},
    )
    settings = settings.model_copy(update={"executor_id": "submitter"})
    async with Engine(settings) as engine:
        await engine.add_provider(ScriptedProvider)
        assert engine.runtime is not None
        db = engine.runtime.db
        job = await submit_job(request)
        deadline = time.monotonic() + 30
        while (await jobs.get_job(db, job.id)).submit_attempts == 0:
            assert time.monotonic() < deadline, "the job was never submitted"
            await asyncio.sleep(0.01)
        assert ScriptedProvider.submissions[job.id] == 0, "stop while the submit is in flight"
    async with Engine(settings, providers=[ScriptedProvider]) as engine:
        assert engine.runtime is not None
        stored = await jobs.get_job(engine.runtime.db, job.id)
        assert stored.handle is not None, "the submit finished and its handle was stored"
        result = await asyncio.wait_for(wait_job(job.id), 60)
        stored = await jobs.get_job(engine.runtime.db, job.id)
    assert result["status"] == "succeeded"
    assert ScriptedProvider.submissions[job.id] == 1
    assert stored.submit_attempts == 1
