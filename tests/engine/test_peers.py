"""Peers of a job: when one job of a model is seen done, the others that started with it
look at the time it took, not at their own schedule's next poll; only sooner, only once,
only for the same model and size."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storyreel.config import Settings
from storyreel.engine import jobs, peers
from storyreel.engine.app import Engine
from storyreel.engine.service import submit_job, wait_job
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task

KEY = peers.key("fal", "veo31-fast", "720p", 4)


@pytest.fixture(autouse=True)
def _no_hints_left() -> Iterator[None]:
    yield
    peers._hints.clear()


async def _sleep_seconds(key: str, job_id: str, started: float, wait: float) -> float:
    began = time.monotonic()
    await peers.sleep(key, job_id, started, wait)
    return time.monotonic() - began


async def test_a_wait_ends_when_a_peer_that_started_with_it_is_seen_done() -> None:
    now = time.time()
    sleeper = asyncio.create_task(_sleep_seconds(KEY, "b", now, 5.0))
    await asyncio.sleep(0.05)
    peers.finished(KEY, "a", now, now + 0.2)  # a took 0.2 s: b is due 0.2 s after its start
    slept = await sleeper
    assert 0.1 < slept < 1.0


async def test_a_peer_that_took_longer_than_the_wait_changes_nothing() -> None:
    now = time.time()
    sleeper = asyncio.create_task(_sleep_seconds(KEY, "b", now, 0.3))
    await asyncio.sleep(0.05)
    peers.finished(KEY, "a", now - 10, now)  # a took 10 s: b's own poll comes sooner
    assert await sleeper == pytest.approx(0.3, abs=0.15)


async def test_another_model_or_size_is_not_a_peer() -> None:
    now = time.time()
    other = peers.key("fal", "veo31-fast", "1080p", 4)
    sleeper = asyncio.create_task(_sleep_seconds(other, "b", now, 0.5))
    await asyncio.sleep(0.05)
    peers.finished(KEY, "a", now, now + 0.01)
    assert await sleeper == pytest.approx(0.5, abs=0.2)


async def test_a_job_takes_one_hint_then_keeps_its_schedule() -> None:
    """A peer that finished early says little about a job still running: after one early
    look, the job's own schedule decides (no request storm from a wave of peers)."""
    now = time.time()
    first = asyncio.create_task(_sleep_seconds(KEY, "b", now, 5.0))
    await asyncio.sleep(0.05)
    peers.finished(KEY, "a", now, now + 0.01)
    assert await first < 1.0
    second = asyncio.create_task(_sleep_seconds(KEY, "b", now, 0.5))
    await asyncio.sleep(0.05)
    peers.finished(KEY, "c", now, now + 0.01)
    assert await second == pytest.approx(0.5, abs=0.2)


async def test_a_durable_wait_is_woken_by_a_message_sent_outside_any_workflow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[tuple[Any, ...]] = []

    async def send(job_id: str, message: Any, topic: str) -> None:
        sent.append((job_id, message, topic))

    monkeypatch.setattr(peers.DBOS, "send_async", send)
    now = time.time()
    with peers.durable_wait(KEY, "b", now, 30.0):
        peers.finished(KEY, "a", now, now + 0.1)
        for _ in range(100):
            if sent:
                break
            await asyncio.sleep(0.01)
    assert sent == [("b", {"peer": True}, peers.WEBHOOK_TOPIC)]


async def test_a_wait_that_ended_leaves_nothing_behind() -> None:
    now = time.time()
    await peers.sleep(KEY, "b", now, 0.01)
    with peers.durable_wait(KEY, "c", now, 1.0):
        pass
    assert KEY not in peers._waiting


async def test_through_the_engine_a_slow_submit_is_polled_when_its_peer_is_done(
    tmp_path: Path,
) -> None:
    """Two jobs of one model take their slots together; one's submit takes 3 s. With no
    learned latency both poll on the default ladder (first after 4 s, later half the time
    run so far): the slow one's own first poll would come 7 s after it started. Its peer,
    seen done after 4 s, makes it look then: its in-memory wait is woken by an event."""
    ScriptedProvider.reset()
    settings = Settings(data_dir=tmp_path / "data", poll_interval=4.0, queue_poll_interval=0.05)
    async with Engine(settings, providers=[ScriptedProvider]) as engine:
        assert engine.runtime is not None

        def req(seed: int, delay: float) -> GenerationRequest:
            return GenerationRequest(
                task=Task.TEXT_TO_IMAGE,
                model="scripted:test",
                prompt="p",
                seed=seed,
                extra={"submit_delay": delay},
            )

        quick = await submit_job(req(1, 0.0))
        slow = await submit_job(req(2, 3.0))
        for job in (quick, slow):
            assert (await wait_job(job.id))["status"] == "succeeded"
        row = await jobs.get_job(engine.runtime.db, slow.id)
        assert row.finished_at is not None and row.submit_started_at is not None
        held = (row.finished_at - row.submit_started_at).total_seconds()
        assert row.polls == 1
        assert held < 6.5  # its own schedule: 7 s
