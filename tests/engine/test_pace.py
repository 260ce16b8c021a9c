"""A provider's queue is polled fast while jobs this process queued there wait for a slot,
and at its configured pace otherwise (``engine/pace.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dbos import DBOS

from storyreel.config import ProviderSettings, Settings
from storyreel.engine import pace
from storyreel.engine.app import Engine
from storyreel.engine.service import submit_job, wait_job
from storyreel.engine.workflows import queue_name
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task

QUEUE = queue_name("scripted")
PACE = 0.5
"""A slow configured pace, so the fast one is told apart."""


@pytest.fixture
def paced(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pace bookkeeping without an engine: nothing is written anywhere."""
    monkeypatch.setattr(pace, "_retune", lambda queue: None)
    pace.start(PACE)
    yield
    pace.stop()


def test_a_queue_is_fast_while_a_job_waits_and_at_its_pace_once_it_started(paced: None) -> None:
    assert pace.wanted(QUEUE) == PACE
    pace.queued(QUEUE, "job1")
    pace.queued(QUEUE, "job2")
    assert pace.wanted(QUEUE) == pace.FAST_SECONDS
    pace.started("job1")
    assert pace.wanted(QUEUE) == pace.FAST_SECONDS
    pace.started("job2")
    assert pace.wanted(QUEUE) == PACE
    assert pace.wanted(queue_name("other")) == PACE


def test_a_job_that_never_starts_here_is_forgotten(
    paced: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Taken by another process, or queued again by a replay after it ran: it keeps the
    queue fast for ``FORGET_SECONDS`` at most."""
    pace.queued(QUEUE, "elsewhere")
    assert pace.wanted(QUEUE) == pace.FAST_SECONDS
    monkeypatch.setattr(pace, "FORGET_SECONDS", 0.0)
    assert pace.wanted(QUEUE) == PACE


def test_a_pace_set_faster_than_the_fast_one_is_kept(paced: None) -> None:
    pace.start(0.01)
    pace.queued(QUEUE, "job1")
    assert pace.wanted(QUEUE) == 0.01


def test_nothing_is_counted_without_an_engine() -> None:
    pace.stop()
    pace.queued(QUEUE, "job1")
    assert pace.wanted(QUEUE) is None


async def _interval() -> float:
    queue = await DBOS.retrieve_queue_async(QUEUE)
    assert queue is not None
    return await queue.get_polling_interval_sec_async()


async def _eventually(check: Callable[[float], bool], seconds: float = 10.0) -> list[float]:
    """The queue's interval as read until ``check`` holds (or the time is up)."""
    seen: list[float] = []
    for _ in range(int(seconds / 0.02)):
        seen.append(await _interval())
        if check(seen[-1]):
            break
        await asyncio.sleep(0.02)
    return seen


async def test_through_the_engine_the_queue_row_is_fast_while_jobs_wait(tmp_path: Path) -> None:
    """One slot, a long first job and two behind it: while they wait, the queue's row
    (what DBOS's poller reads before every wait) holds the fast pace; once every job has
    started, the configured one again."""
    ScriptedProvider.reset()
    settings = Settings(
        data_dir=tmp_path / "data",
        poll_interval=0.05,
        poll_interval_max=0.2,
        queue_poll_interval=PACE,
        providers={"scripted": ProviderSettings(concurrency=1)},
    )
    async with Engine(settings, providers=[ScriptedProvider]):
        assert await _interval() == PACE

        def req(seed: int, **script: object) -> GenerationRequest:
            return GenerationRequest(
                task=Task.TEXT_TO_IMAGE,
                model="scripted:test",
                prompt=f"p{seed}",
                seed=seed,
                extra=script,
            )

        queued = [await submit_job(req(1, polls=["running"] * 8 + ["succeeded"]))]
        queued += [await submit_job(req(seed)) for seed in (2, 3)]
        fast = await _eventually(lambda seconds: seconds == pace.FAST_SECONDS)
        assert fast[-1] == pace.FAST_SECONDS, fast
        for job in queued:
            assert (await wait_job(job.id))["status"] == "succeeded"
        after = await _eventually(lambda seconds: seconds == PACE)
        assert after[-1] == PACE, after
