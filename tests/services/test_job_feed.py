"""The shared job feed: what changed since the last look (including a job created and
finished between two looks), and one query per tick however many pages watch."""

from __future__ import annotations

import asyncio

import pytest

from storyreel.engine import jobs as job_rows
from storyreel.engine import waits
from storyreel.engine.runtime import Runtime
from storyreel.providers.types import JobState
from storyreel.services.job_feed import JobFeed, job_feed
from storyreel.vocabulary import GenerationRequest, Task


def sketch(seed: int) -> GenerationRequest:
    return GenerationRequest(task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt="p", seed=seed)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_each_look_reports_what_changed(rt: Runtime) -> None:
    old, _ = await job_rows.create_job(rt.db, sketch(1))
    await job_rows.transition(rt.db, old.id, JobState.SUCCEEDED)
    a, _ = await job_rows.create_job(rt.db, sketch(2))
    b, _ = await job_rows.create_job(rt.db, sketch(3))
    feed = JobFeed(rt)
    changed, seed = await feed.poll(seed=True)  # the baseline, and the active ones
    assert changed == [] and [j.id for j in seed] == [a.id, b.id]
    assert feed.positions == {a.id: 0, b.id: 1}
    assert await feed.poll() == ([], [])

    await job_rows.transition(rt.db, a.id, JobState.FAILED, error="x")
    quick, _ = await job_rows.create_job(rt.db, sketch(4))
    await job_rows.transition(rt.db, quick.id, JobState.SUCCEEDED)
    changed, _ = await feed.poll()
    # b moved up the line when a left it: its row changes too
    assert [(j.id, j.status) for j in changed] == [
        (a.id, "failed"),
        (b.id, "queued"),
        (quick.id, "succeeded"),
    ]
    assert feed.positions == {b.id: 0}
    assert await feed.poll() == ([], [])

    await job_rows.update_job(rt.db, b.id, progress=0.5)
    changed, _ = await feed.poll()
    assert [(j.id, j.progress) for j in changed] == [(b.id, 0.5)]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_subscriber_gets_each_change_from_one_query_per_tick(rt: Runtime) -> None:
    job, _ = await job_rows.create_job(rt.db, sketch(5))
    feed = job_feed(rt)
    assert job_feed(rt) is feed
    feed.tick = 0.05
    async with feed.subscribe() as one, feed.subscribe() as two:
        first = await asyncio.wait_for(one.get(), 5)
        assert [j.id for j in first] == [job.id]
        assert [j.id for j in await asyncio.wait_for(two.get(), 5)] == [job.id]
        await job_rows.transition(rt.db, job.id, JobState.SUCCEEDED)
        for queue in (one, two):
            batch = await asyncio.wait_for(queue.get(), 5)
            assert [(j.id, j.status) for j in batch] == [(job.id, "succeeded")]
        before, ticks = feed.queries, 6
        await asyncio.sleep(feed.tick * ticks)
        assert feed.queries - before <= ticks + 1  # two watchers, still one query a tick
    assert feed.task is not None
    await asyncio.wait_for(feed.task, 5)  # nobody watches: the feed stops asking


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_workflow_ending_wakes_the_feed_before_its_tick(rt: Runtime) -> None:
    job, _ = await job_rows.create_job(rt.db, sketch(6))
    feed = JobFeed(rt, tick=30.0)
    listening = len(waits._end_listeners)
    async with feed.subscribe() as queue:
        assert [j.id for j in await asyncio.wait_for(queue.get(), 5)] == [job.id]
        await job_rows.transition(rt.db, job.id, JobState.SUCCEEDED)
        waits._poke_all()  # what a workflow's end calls (``notify_when_done``)
        batch = await asyncio.wait_for(queue.get(), 5)  # long before the 30 s tick
        assert [(j.id, j.status) for j in batch] == [(job.id, "succeeded")]
        assert len(waits._end_listeners) == listening + 1
    waits._poke_all()  # nobody watches any more: the feed ends and stops listening
    assert feed.task is not None
    await asyncio.wait_for(feed.task, 5)
    assert len(waits._end_listeners) == listening
