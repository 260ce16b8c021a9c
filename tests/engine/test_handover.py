"""A job that ends can hand its slot to the job that follows it (``engine/handover.py``):
the queue claims one slot fewer until the follow-up is queued, or ``HOLD_SECONDS`` pass."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbos import DBOS

from storyreel.config import ProviderSettings, Settings
from storyreel.engine import handover, jobs
from storyreel.engine.app import Engine
from storyreel.engine.service import enqueue_job, wait_job
from storyreel.engine.workflows import queue_name
from storyreel.store.db import Database
from storyreel.store.models import Job
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task

QUEUE = queue_name("scripted")
PROMPT = 1.5
"""Seconds: a look that follows a wake-up, on a busy shared machine."""


@pytest.fixture(autouse=True)
def forget() -> Iterator[None]:
    handover.clear()
    yield
    handover.clear()


def req(seed: int, **script: object) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="scripted:test", prompt=f"p{seed}", seed=seed, extra=script
    )


def one_slot(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        poll_interval=0.05,
        poll_interval_max=0.2,
        queue_poll_interval=5.0,  # only a wake-up or a hold's end explains a prompt start
        retry_base_delay=0.01,
        providers={"scripted": ProviderSettings(concurrency=1)},
    )


async def offered_then_waiting(db: Database, polls: int) -> tuple[Job, Job]:
    """Job A, whose slot is offered, running ``polls`` polls; job B queued behind it."""
    a, _ = await jobs.create_job(db, req(1, polls=["running"] * polls + ["succeeded"]))
    b, _ = await jobs.create_job(db, req(2))
    handover.offer(a.id)
    await enqueue_job(a.id, "scripted", priority=10)
    await enqueue_job(b.id, "scripted", priority=30)
    return a, b


def test_a_slot_is_held_only_when_offered_and_freed_by_a_withdrawal() -> None:
    woken: list[str] = []
    handover.on_free(woken.append)
    assert handover.take("job-a", QUEUE) is False  # never offered: nothing held
    handover.offer("job-a")
    assert handover.held(QUEUE) == 0  # offered, still running
    assert handover.take("job-a", QUEUE) is True
    assert handover.held(QUEUE) == 1 and handover.held("storyreel.other") == 0
    assert handover.pending(QUEUE) == handover.Pending(1, frozenset(), frozenset())
    assert handover.pending(QUEUE, besides="job-a").undecided == 0
    handover.decide("job-a", "clip-a", early=True)
    assert handover.pending(QUEUE) == handover.Pending(0, frozenset({"clip-a"}), frozenset())
    handover.withdraw("job-a")
    assert handover.held(QUEUE) == 0 and woken == [QUEUE]
    handover.withdraw("job-a")  # twice: nothing more to free
    assert woken == [QUEUE]


def test_a_hold_ends_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handover, "HOLD_SECONDS", 0.05)
    handover.offer("job-a")
    handover.take("job-a", QUEUE)
    freed, left = handover.expire(QUEUE)
    assert not freed and left is not None and 0 < left <= 0.05
    time.sleep(0.06)
    assert handover.held(QUEUE) == 0
    assert handover.expire(QUEUE) == (True, None)
    assert handover.expire(QUEUE) == (False, None)  # dropped once


async def test_a_held_slot_goes_to_the_follow_up_not_to_the_job_waiting_before_it(
    tmp_path: Path,
) -> None:
    """One slot: A runs, B waits. A's slot is offered, so when A ends B does not start;
    the follow-up C, queued after B but ranked ahead of it, takes the slot once the offer
    is withdrawn. Without the hold B starts the moment A ends."""
    ScriptedProvider.reset()
    async with Engine(one_slot(tmp_path), providers=[ScriptedProvider]) as engine:
        assert engine.runtime is not None
        db = engine.runtime.db
        a, b = await offered_then_waiting(db, polls=3)
        assert (await wait_job(a.id))["status"] == "succeeded"
        await asyncio.sleep(0.4)  # A's slot is free to DBOS, held here
        status = await DBOS.get_workflow_status_async(b.id)
        assert status is not None and status.status == "ENQUEUED"
        assert handover.held(QUEUE) == 1
        c, _ = await jobs.create_job(db, req(3))
        await enqueue_job(c.id, "scripted", priority=20)
        handover.withdraw(a.id)
        for job in (b, c):
            assert (await wait_job(job.id))["status"] == "succeeded"
        started_b = (await jobs.get_job(db, b.id)).submit_started_at
        started_c = (await jobs.get_job(db, c.id)).submit_started_at
    assert started_b is not None and started_c is not None
    assert started_c < started_b


async def test_a_slot_whose_follow_up_never_comes_is_free_after_the_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody withdraws A's offer: B starts once the hold ends, not at the next scan."""
    monkeypatch.setattr(handover, "HOLD_SECONDS", 0.6)
    ScriptedProvider.reset()
    async with Engine(one_slot(tmp_path), providers=[ScriptedProvider]) as engine:
        assert engine.runtime is not None
        db = engine.runtime.db
        a, b = await offered_then_waiting(db, polls=2)
        for job in (a, b):
            assert (await wait_job(job.id))["status"] == "succeeded"
        finished_a = (await jobs.get_job(db, a.id)).finished_at
        started_b = (await jobs.get_job(db, b.id)).submit_started_at
    assert finished_a is not None and started_b is not None
    assert 0.5 <= (started_b - finished_a).total_seconds() < 0.6 + PROMPT


async def test_work_off_the_critical_path_waits_for_held_slots_at_most_a_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handover, "HOLD_SECONDS", 0.3)
    started = time.monotonic()
    await handover.settled()  # nothing held: at once
    assert time.monotonic() - started < 0.1
    handover.offer("job-a")
    handover.take("job-a", QUEUE)
    asyncio.get_running_loop().call_later(0.1, handover.withdraw, "job-a")
    started = time.monotonic()
    await handover.settled()
    assert 0.08 <= time.monotonic() - started < 0.25
    renewals = [f"job-{n}" for n in range(10)]
    for n, job_id in enumerate(renewals):  # a new hold every 0.1 s, each living 0.3 s
        handover.offer(job_id)
        asyncio.get_running_loop().call_later(0.1 * n, handover.take, job_id, QUEUE)
    handover.take(renewals[0], QUEUE)
    started = time.monotonic()
    await handover.settled()
    assert 0.25 <= time.monotonic() - started < 0.5


def test_a_follow_up_for_another_queue_frees_the_slot_at_once() -> None:
    woken: list[str] = []
    handover.on_free(woken.append)
    for job_id in ("job-a", "job-b"):
        handover.offer(job_id)
        handover.take(job_id, QUEUE)
    handover.withdraw_unless_on("job-a", QUEUE)  # its follow-up comes here: kept
    handover.withdraw_unless_on("job-b", "storyreel.other")  # it goes elsewhere: freed
    handover.withdraw_unless_on("job-c", "storyreel.other")  # nothing held: nothing
    assert handover.held(QUEUE) == 1 and woken == [QUEUE]
    assert handover.pending(QUEUE).undecided == 1


def test_a_released_slot_is_free_but_its_decision_counts_until_withdrawn() -> None:
    """Released before the clip is queued, so no claim sees the slot held and taken at
    once; the next decision still counts the clip, which the queue may not list yet."""
    woken: list[str] = []
    handover.on_free(woken.append)
    handover.offer("job-a")
    handover.take("job-a", QUEUE)
    handover.decide("job-a", "clip-a", early=False)
    handover.release("job-a")
    assert handover.held(QUEUE) == 0 and woken == []  # the clip's enqueue wakes the queue
    assert handover.pending(QUEUE) == handover.Pending(0, frozenset(), frozenset({"clip-a"}))
    handover.withdraw("job-a")
    assert handover.pending(QUEUE).late == frozenset() and woken == []
