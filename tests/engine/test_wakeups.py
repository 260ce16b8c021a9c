"""A provider's queue is looked at when this process gives it work (a job queued, a slot
freed), and work from elsewhere is found by one scan per process, not by DBOS polling
every queue (``engine/wakeups.py``)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from storyreel.config import ProviderSettings, Settings
from storyreel.engine import jobs, wakeups
from storyreel.engine.app import Engine
from storyreel.engine.service import open_client, submit_job, wait_job
from storyreel.engine.workflows import queue_name
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task

QUEUE = queue_name("scripted")
SLOW_SCAN = 5.0
"""A scan interval so long that only a wake-up explains a prompt start."""
PROMPT = 1.5
"""Seconds: a look that follows a wake-up, on a busy shared machine."""


def req(seed: int, **script: object) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="scripted:test", prompt=f"p{seed}", seed=seed, extra=script
    )


def one_slot(tmp_path: Path, scan: float) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        poll_interval=0.05,
        poll_interval_max=0.2,
        queue_poll_interval=scan,
        retry_base_delay=0.01,
        providers={"scripted": ProviderSettings(concurrency=1)},
    )


async def test_a_job_queued_here_starts_at_once_and_the_next_as_soon_as_a_slot_frees(
    tmp_path: Path,
) -> None:
    """No poll interval explains these starts: the scan runs every 5 s and DBOS's own poll
    every ``IDLE_POLL_SECONDS``."""
    ScriptedProvider.reset()
    async with Engine(one_slot(tmp_path, SLOW_SCAN), providers=[ScriptedProvider]) as engine:
        assert engine.runtime is not None
        await asyncio.sleep(0.3)  # the workers are asleep on their interval
        first = await submit_job(req(1, polls=["running"] * 4 + ["succeeded"]))
        second = await submit_job(req(2))
        for job in (first, second):
            assert (await wait_job(job.id))["status"] == "succeeded"
        a = await jobs.get_job(engine.runtime.db, first.id)
        b = await jobs.get_job(engine.runtime.db, second.id)
    assert a.submit_started_at is not None and a.finished_at is not None
    assert b.submit_started_at is not None
    assert (a.submit_started_at - a.created_at).total_seconds() < PROMPT
    assert (b.submit_started_at - a.finished_at).total_seconds() < PROMPT


async def test_idle_queues_cost_one_scan_a_look_not_a_dbos_poll(tmp_path: Path) -> None:
    ScriptedProvider.reset()
    async with Engine(one_slot(tmp_path, 0.05), providers=[ScriptedProvider]) as engine:
        assert engine._scanner is not None
        await asyncio.sleep(0.5)  # the launch's first looks
        looks, scans = wakeups.looks(QUEUE), engine._scanner.scans
        await asyncio.sleep(1.0)
        assert engine._scanner.scans - scans >= 5
        assert wakeups.looks(QUEUE) - looks <= 1


async def test_work_queued_by_another_process_is_found_by_the_scan(tmp_path: Path) -> None:
    """An API-only server queues through a DBOS client: nothing wakes this process's
    worker but the scan (every 0.1 s here, against DBOS's own poll every 5 s)."""
    ScriptedProvider.reset()
    settings = one_slot(tmp_path, 0.1)
    async with Engine(settings, providers=[ScriptedProvider]) as engine:
        assert engine.runtime is not None
        await asyncio.sleep(0.3)
        async with open_client(settings) as (rt, client):
            rt.registry.register(ScriptedProvider)
            job = await submit_job(req(3), rt=rt, client=client)
        assert (await wait_job(job.id))["status"] == "succeeded"
        done = await jobs.get_job(engine.runtime.db, job.id)
    assert done.submit_started_at is not None
    assert (done.submit_started_at - done.created_at).total_seconds() < PROMPT


async def test_the_scan_names_only_queues_with_jobs_waiting(tmp_path: Path) -> None:
    ScriptedProvider.reset()
    async with Engine(one_slot(tmp_path, SLOW_SCAN), providers=[ScriptedProvider]) as engine:
        scanner = engine._scanner
        assert scanner is not None
        other = queue_name("sketch")
        assert scanner.waiting([QUEUE, other]) == []
        built = dict(scanner._statements)
        running = await submit_job(req(4, polls=["running"] * 10 + ["succeeded"]))
        waiting = await submit_job(req(5))
        for _ in range(100):  # the first job takes the only slot; the second waits
            if await asyncio.to_thread(scanner.waiting, [QUEUE, other]) == [QUEUE]:
                break
            await asyncio.sleep(0.02)
        assert await asyncio.to_thread(scanner.waiting, [QUEUE, other]) == [QUEUE]
        for job in (running, waiting):
            await wait_job(job.id)
        assert await asyncio.to_thread(scanner.waiting, [QUEUE, other]) == []
        # Every scan of the same queues ran the statement built by the first.
        assert any(queues == (QUEUE, other) for _, queues in built)
        assert all(scanner._statements[key] is statement for key, statement in built.items())


@pytest.fixture
def stand_in() -> tuple[threading.Event, wakeups.WakeableStop]:
    stop = threading.Event()
    return stop, wakeups.WakeableStop(stop, "storyreel.test-stand-in")


def test_a_wake_ends_the_wait_and_a_stop_ends_it_as_a_stop(
    stand_in: tuple[threading.Event, wakeups.WakeableStop],
) -> None:
    stop, waiting = stand_in
    started = time.monotonic()
    assert waiting.wait(0.05) is False  # the interval ran out: look
    threading.Timer(0.1, wakeups.wake, args=("storyreel.test-stand-in",)).start()
    assert waiting.wait(30.0) is False
    assert time.monotonic() - started < 5.0
    threading.Timer(0.1, stop.set).start()
    assert waiting.wait(30.0) is True
    assert waiting.is_set()
    assert time.monotonic() - started < 5.0


def test_a_wake_during_a_look_brings_one_more_look_and_looks_keep_their_gap(
    stand_in: tuple[threading.Event, wakeups.WakeableStop],
) -> None:
    _, waiting = stand_in
    assert waiting.wait(0.01) is False
    look = time.monotonic()
    wakeups.wake("storyreel.test-stand-in")  # sent while the look runs
    wakeups.wake("storyreel.test-stand-in")  # and again: still one look
    assert waiting.wait(30.0) is False
    assert time.monotonic() - look >= wakeups.LOOK_GAP_SECONDS * 0.9
    started = time.monotonic()
    assert waiting.wait(0.2) is False  # nothing since: the interval runs out
    assert time.monotonic() - started >= 0.15


def test_a_long_wait_sees_a_stop_it_was_not_woken_for(
    stand_in: tuple[threading.Event, wakeups.WakeableStop],
) -> None:
    """DBOS sets its own event, not the stand-in: the wait checks it every
    ``STOP_CHECK_SECONDS``, so an engine stops without waiting out ``IDLE_POLL_SECONDS``."""
    stop, waiting = stand_in
    threading.Timer(0.05, stop.set).start()
    started = time.monotonic()
    assert waiting.wait(60.0) is True
    assert time.monotonic() - started < wakeups.STOP_CHECK_SECONDS + 2.0


def test_a_stopping_engine_wakes_every_waiting_worker_to_see_the_stop(
    stand_in: tuple[threading.Event, wakeups.WakeableStop], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DBOS's stop reaches a waiting worker only at its next check, unless the engine wakes
    it: with checks a minute apart, the wait ends at once."""
    monkeypatch.setattr(wakeups, "STOP_CHECK_SECONDS", 60.0)
    stop, waiting = stand_in
    wakeups._flag("storyreel.test-stand-in").clear()
    ended: list[bool] = []
    worker = threading.Thread(target=lambda: ended.append(waiting.wait(120.0)), daemon=True)
    worker.start()
    time.sleep(0.05)
    stop.set()
    wakeups.wake_all()
    worker.join(timeout=10.0)
    assert ended == [True]
