"""When a shot's clip overtakes the panels in its queue: the rule against a queue simulated
with exact latencies (panels first is the old behaviour every case is compared with), and
what the engine feeds it from a real queue."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dbos import DBOS

from storyreel.engine import handover, jobs, latency
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import enqueue_job, submit_job, wait_job
from storyreel.engine.workflows import queue_name
from storyreel.store.models import Job
from storyreel.story import queue_order
from storyreel.story.queue_order import (
    MAX_SIMULATED_JOBS,
    QUEUE_PRIORITY,
    QueuedJob,
    clip_goes_early,
    clip_goes_early_now,
    priority,
    rank_of,
)
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task


def makespan(slots: int, shots: int, panel: float, clip: float, *, rule: bool) -> float:
    """A queue of ``slots`` fed a story's panels, each opening its clip when it ends (one
    ending at a time, as in the engine); ``rule``: each clip asks ``clip_goes_early``,
    else it waits behind the panels (panels first)."""
    order, now = itertools.count(), 0.0
    queue = [(priority("panel", shot), next(order), "panel") for shot in range(shots)]
    running: list[tuple[float, int, str, int]] = []
    while queue or running:
        while queue and len(running) < slots:
            rank, _, what = heapq.heappop(queue)
            heapq.heappush(running, (now + (panel if what == "panel" else clip), 0, what, rank))
        now, _, what, _ = heapq.heappop(running)
        if what != "panel":
            continue
        early = rule and clip_goes_early(
            slots,
            [
                QueuedJob(
                    rank, end - now, clip=kind != "panel", opens=clip if kind == "panel" else None
                )
                for end, _, kind, rank in running
            ],
            [
                QueuedJob(
                    rank,
                    panel if kind == "panel" else clip,
                    kind != "panel",
                    clip if kind == "panel" else None,
                )
                for rank, _, kind in queue
            ],
            clip,
        )
        heapq.heappush(queue, (priority("early_clip" if early else "clip", 0), next(order), "clip"))
    return now


def test_clips_overtake_panels_where_that_finishes_sooner() -> None:
    """The issue's story at concurrency 15: panels first starts the clips in waves (16 s);
    letting some clips overtake reaches the best list schedule (14 s)."""
    assert makespan(15, 24, 2.0, 6.0, rule=False) == 16.0
    assert makespan(15, 24, 2.0, 6.0, rule=True) == 14.0
    assert makespan(10, 24, 2.0, 6.0, rule=True) == 20.0 < makespan(10, 24, 2.0, 6.0, rule=False)


def test_panels_stay_first_where_that_is_best() -> None:
    """At concurrency 4 panels first is already the best (48 s, the ideal); with 1 s panels
    and 3 s clips on 4 slots clips first would take 8 s against 7."""
    assert makespan(4, 24, 2.0, 6.0, rule=True) == 48.0
    assert makespan(4, 6, 1.0, 3.0, rule=True) == 7.0


def test_the_rule_never_finishes_later_than_panels_first() -> None:
    picks = random.Random(8)
    cases = [
        (
            picks.randint(2, 16),
            picks.randint(4, 40),
            picks.choice([1, 2, 3, 5]),
            picks.choice([3, 4, 6, 10]),
        )
        for _ in range(40)
    ]
    better = 0
    for slots, shots, panel, clip in cases:
        old = makespan(slots, shots, panel, clip, rule=False)
        new = makespan(slots, shots, panel, clip, rule=True)
        assert new <= old, (slots, shots, panel, clip)
        better += new < old
    assert better >= 5


def test_a_clip_waits_when_there_is_no_panel_to_overtake_or_too_much_to_simulate() -> None:
    clip = priority("clip", 3)
    running = [QueuedJob(priority("panel", 1), 1.0, opens=6.0)]
    assert not clip_goes_early(15, running, [QueuedJob(clip, 6.0, clip=True)], 6.0)
    panels = [QueuedJob(priority("panel", n), 2.0, opens=6.0) for n in range(9)]
    assert clip_goes_early(15, [QueuedJob(priority("panel", 0), 0.0, opens=6.0)] * 14, panels, 6.0)
    flood = panels * (MAX_SIMULATED_JOBS // len(panels) + 1)
    assert not clip_goes_early(15, [], flood, 6.0)
    assert not clip_goes_early(1, [], panels, 6.0)


def test_an_early_clip_goes_after_sheets_and_before_panels() -> None:
    ranks = [rank_of(priority(what, 7)) for what in ("sheet", "early_clip", "panel", "clip")]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4
    assert rank_of(None) == 0 and priority("panel", -1) < priority("panel", 0) + 1


# What the engine reads from a real queue.


@pytest.fixture
async def scripted(engine: Engine) -> AsyncIterator[type[ScriptedProvider]]:
    ScriptedProvider.reset()
    await engine.add_provider(ScriptedProvider)
    await DBOS.register_queue_async(
        queue_name("scripted"),
        global_concurrency=2,
        polling_interval_sec=0.05,
        on_conflict="always_update",
    )
    yield ScriptedProvider


def _request(seed: int, task: Task = Task.TEXT_TO_IMAGE, **extra: Any) -> GenerationRequest:
    model = "scripted:video" if task is Task.IMAGE_TO_VIDEO else "scripted:image"
    return GenerationRequest(task=task, model=model, prompt=f"stall {seed}", seed=seed, extra=extra)


async def test_the_queue_is_read_as_it_is(
    scripted: type[ScriptedProvider], rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two running panels (their time left: the expected 2 s less what they ran), three
    panels and a late clip waiting; the clip's and each job's latency from the model."""
    expected = {"scripted:image": 2.0, "scripted:video": 6.0}

    async def latency_of(
        db: Any, catalog: Any, model: str, task: str, **_: Any
    ) -> latency.Expectation:
        return latency.Expectation(expected[model])

    seen: list[tuple[int, list[QueuedJob], list[QueuedJob], float]] = []

    def record(slots: int, running: Any, waiting: Any, clip_seconds: float, coming: int) -> bool:
        assert coming == 0  # no slot is held here
        seen.append((slots, list(running), list(waiting), clip_seconds))
        return True

    monkeypatch.setattr(latency, "expected_latency", latency_of)
    monkeypatch.setattr(queue_order, "clip_goes_early", record)
    slow = ["running"] * 2 + ["succeeded"]
    made = []
    for seed, what, task in (
        (1, "panel", Task.TEXT_TO_IMAGE),
        (2, "panel", Task.TEXT_TO_IMAGE),
        (3, "panel", Task.TEXT_TO_IMAGE),
        (4, "panel", Task.TEXT_TO_IMAGE),
        (5, "panel", Task.TEXT_TO_IMAGE),
        (6, "clip", Task.IMAGE_TO_VIDEO),
    ):
        job, _ = await jobs.create_job(rt.db, _request(seed, task, polls=slow))
        await enqueue_job(job.id, "scripted", priority=priority(what, seed))
        made.append(job.id)
    for _ in range(200):
        if len(scripted.submissions) == 2:
            break
        await asyncio.sleep(0.02)
    clip, _ = await jobs.create_job(rt.db, _request(7, Task.IMAGE_TO_VIDEO))
    assert await clip_goes_early_now(rt, clip)

    ((slots, running, waiting, clip_seconds),) = seen
    assert slots == 2 and clip_seconds == 6.0
    assert len(running) == 2 and all(0 < job.seconds < 2.0 and job.opens == 6.0 for job in running)
    assert sorted(job.priority for job in waiting) == [
        priority("panel", 3),
        priority("panel", 4),
        priority("panel", 5),
        priority("clip", 6),
    ]
    assert [job.opens for job in sorted(waiting, key=lambda j: j.priority)] == [6.0, 6.0, 6.0, None]
    assert [job.clip for job in waiting] == [False, False, False, True]
    # A queue longer than the simulation takes is only counted, never read whole.
    monkeypatch.setattr(queue_order, "MAX_SIMULATED_JOBS", 4)
    assert not await clip_goes_early_now(rt, clip)
    assert len(seen) == 1
    for job_id in made:
        assert (await wait_job(job_id))["status"] == "succeeded"


async def two_running_one_waiting(
    scripted: type[ScriptedProvider], rt: Runtime, polls: int
) -> tuple[list[Job], Job]:
    """Two jobs running ``polls`` polls fill the queue's two slots; a panel waits."""
    slow = ["running"] * polls + ["succeeded"]
    blockers = [await submit_job(_request(n, polls=slow)) for n in (1, 2)]
    for _ in range(200):
        if len(scripted.submissions) == 2:
            break
        await asyncio.sleep(0.02)
    waiting, _ = await jobs.create_job(rt.db, _request(3))
    await enqueue_job(waiting.id, "scripted", priority=priority("panel", 3))
    return blockers, waiting


async def test_without_a_latency_to_go_by_the_clip_waits(
    scripted: type[ScriptedProvider], rt: Runtime
) -> None:
    """A panel waits behind two running jobs, but the scripted models have no learned
    figure and no catalog entry: nothing to simulate with, so panels first."""
    blockers, job = await two_running_one_waiting(scripted, rt, polls=3)
    clip, _ = await jobs.create_job(rt.db, _request(4, Task.IMAGE_TO_VIDEO))
    assert not await clip_goes_early_now(rt, clip)
    status = await DBOS.get_workflow_status_async(job.id)
    assert status is not None and status.status == "ENQUEUED"  # it was waiting all along
    for job_id in [b.id for b in blockers] + [job.id]:
        assert (await wait_job(job_id))["status"] == "succeeded"


def first_wave(coming_known: bool) -> list[bool]:
    """Fifteen panels end at once on 15 slots with 9 panels waiting; their clips decide
    one after another, each seeing the decisions before it, and (``coming_known``) the
    clips still to decide, whose panels hold their slots."""
    panels = [QueuedJob(priority("panel", n), 2.0, opens=6.0) for n in range(16, 25)]
    decided: list[bool] = []
    for n in range(15):
        made = [
            QueuedJob(priority("early_clip" if early else "clip", 0), 6.0, clip=True)
            for early in decided
        ]
        coming = 14 - n if coming_known else 0
        decided.append(clip_goes_early(15, [], panels + made, 6.0, coming))
    return decided


def test_clips_coming_to_held_slots_share_the_slots_with_the_panels() -> None:
    """Seeing the clips still to come, the first nine overtake and six panels start beside
    them (the best schedule, with ``JOB_OVERHEAD_SECONDS`` a job, is 9 or 10 clips ahead).
    Blind to them, each clip sees free slots for all and leaves them to the panels."""
    assert first_wave(coming_known=True) == [True] * 9 + [False] * 6
    assert not any(first_wave(coming_known=False))


async def test_a_decision_counts_the_held_slots_and_the_decisions_before_it(
    scripted: type[ScriptedProvider], rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two panels ended here and hold their slots: the first clip to decide sees the other
    coming; the second sees the first decided (not yet queued) instead."""
    expected = {"scripted:image": 2.0, "scripted:video": 6.0}

    async def latency_of(
        db: Any, catalog: Any, model: str, task: str, **_: Any
    ) -> latency.Expectation:
        return latency.Expectation(expected[model])

    seen: list[tuple[list[QueuedJob], int]] = []

    def record(slots: int, running: Any, waiting: Any, clip_seconds: float, coming: int) -> bool:
        seen.append((list(waiting), coming))
        return True

    monkeypatch.setattr(latency, "expected_latency", latency_of)
    monkeypatch.setattr(queue_order, "clip_goes_early", record)
    handover.clear()
    blockers, waiting = await two_running_one_waiting(scripted, rt, polls=4)
    name = queue_name("scripted")
    for panel in ("panel-a", "panel-b"):
        handover.offer(panel)
        handover.take(panel, name)
    clips = [(await jobs.create_job(rt.db, _request(n, Task.IMAGE_TO_VIDEO)))[0] for n in (4, 5)]
    try:
        assert await clip_goes_early_now(rt, clips[0], panel_job_id="panel-a")
        assert handover.pending(name, besides="panel-b").early == {clips[0].id}
        assert await clip_goes_early_now(rt, clips[1], panel_job_id="panel-b")
    finally:
        handover.clear()
    (first, first_coming), (second, second_coming) = seen
    assert first_coming == 1 and second_coming == 0
    assert [rank_of(job.priority) for job in first] == [QUEUE_PRIORITY["panel"]]
    assert sorted(rank_of(job.priority) for job in second) == [
        QUEUE_PRIORITY["early_clip"],
        QUEUE_PRIORITY["panel"],
    ]
    for job_id in [b.id for b in blockers] + [waiting.id]:
        assert (await wait_job(job_id))["status"] == "succeeded"
