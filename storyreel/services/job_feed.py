"""Which jobs changed, for every live display of one process, from one query per tick.

A page that shows jobs live (the web UI's job table) subscribes; while anyone is
subscribed, one task per event loop asks the database every ``TICK_SECONDS`` for the jobs
that are queued or running plus any job newer than the newest it has seen (both indexed:
``ix_jobs_status_id`` and the primary key), and fetches by id the ones that left the active
set since the last tick (they finished). Jobs whose status, phase fields or cost moved are
handed to every subscriber. However many tabs are open, the database sees one query per
tick (two when jobs finished), never one per connection, and none when nobody watches.
A workflow ending in this process (``engine.waits.on_workflow_end``) wakes the feed at
once, so a finished job shows without waiting for the tick (but never more often than every
``MIN_GAP_SECONDS``).

It reads the job table, so it sees work done by worker processes on other machines too.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Sequence
from typing import Any

import structlog
from sqlalchemy import func, or_, select
from sqlalchemy.orm import noload

from storyreel.engine import waits
from storyreel.engine.jobs import ACTIVE
from storyreel.engine.runtime import Runtime
from storyreel.store.models import Job

log = structlog.get_logger(__name__)

#: How often the feed looks at the job table while someone watches.
TICK_SECONDS = 0.5
#: The least time between two looks, however often workflows end.
MIN_GAP_SECONDS = 0.1
_ACTIVE = [state.value for state in ACTIVE]


def _fingerprint(job: Job) -> tuple[Any, ...]:
    return (
        job.status,
        job.updated_at,
        job.progress,
        job.note,
        job.handle is not None,
        job.cost_usd,
        job.failover_to,
    )


class JobFeed:
    """The subscribers of one event loop and the task that feeds them."""

    def __init__(self, rt: Runtime, *, tick: float | None = None) -> None:
        self.rt = rt
        self.tick = tick or TICK_SECONDS
        self.subscribers: set[asyncio.Queue[list[Job]]] = set()
        self.task: asyncio.Task[None] | None = None
        self.seen: dict[str, tuple[Any, ...]] = {}
        self.active: dict[str, Job] = {}
        self.newest: str | None = None
        self.wake = asyncio.Event()
        #: Queries made (tests pin that watching costs one query per tick, not per tab).
        self.queries = 0

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[list[Job]]]:
        """A queue that receives each batch of changed jobs until the block ends."""
        queue: asyncio.Queue[list[Job]] = asyncio.Queue(maxsize=64)
        if self.active:  # the jobs running now, as the feed last saw them
            queue.put_nowait(sorted(self.active.values(), key=lambda job: job.id))
        self.subscribers.add(queue)
        if self.task is None or self.task.done():
            # A fresh context: never recorded as part of whichever request started it.
            self.task = asyncio.get_running_loop().create_task(
                self._run(), name="storyreel-job-feed", context=contextvars.Context()
            )
        try:
            yield queue
        finally:
            self.subscribers.discard(queue)

    async def _run(self) -> None:
        self.seen, self.active, self.newest = {}, {}, None
        loop = asyncio.get_running_loop()

        def poke() -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(self.wake.set)

        stop_listening = waits.on_workflow_end(poke)
        try:
            await self._loop()
        finally:
            stop_listening()

    async def _loop(self) -> None:
        while self.subscribers:
            self.wake.clear()
            try:
                changed = await self.poll()
            except Exception as exc:  # noqa: BLE001 - a blip: the next tick tries again
                log.warning("job feed query failed", error=str(exc))
                changed = []
            if changed:
                for queue in list(self.subscribers):
                    if queue.full():  # a stuck reader loses the oldest batch, not the feed
                        queue.get_nowait()
                    queue.put_nowait(changed)
            await asyncio.sleep(MIN_GAP_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.tick - MIN_GAP_SECONDS)

    async def poll(self) -> list[Job]:
        """One look: the jobs that changed since the last (every active one the first
        time: a page rendered just before may already be behind)."""
        async with self.rt.db.sessions() as session, session.begin():
            if self.newest is None:
                self.newest = await session.scalar(select(func.max(Job.id))) or ""
                self.queries += 1
            stmt = (
                select(Job)
                .options(noload(Job.outputs))
                .where(or_(Job.status.in_(_ACTIVE), Job.id > self.newest))
            )
            rows = list((await session.execute(stmt)).scalars().all())
            self.queries += 1
            gone = set(self.active) - {job.id for job in rows}
            if gone:
                ended = select(Job).options(noload(Job.outputs)).where(Job.id.in_(gone))
                rows += list((await session.execute(ended)).scalars().all())
                self.queries += 1
        return self._changes(rows)

    def _changes(self, rows: Sequence[Job]) -> list[Job]:
        changed = []
        for job in rows:
            mark = _fingerprint(job)
            if self.seen.get(job.id) != mark:
                changed.append(job)
                self.seen[job.id] = mark
        self.active = {job.id: job for job in rows if job.status in _ACTIVE}
        for job_id in [k for k in self.seen if k not in self.active]:
            del self.seen[job_id]  # finished jobs are never looked at again
        if rows:
            self.newest = max(self.newest or "", *(job.id for job in rows))
        return sorted(changed, key=lambda job: job.id)


_feeds: dict[asyncio.AbstractEventLoop, JobFeed] = {}


def job_feed(rt: Runtime) -> JobFeed:
    """The running loop's feed for ``rt``."""
    loop = asyncio.get_running_loop()
    for old in [lp for lp in _feeds if lp.is_closed()]:
        del _feeds[old]
    found = _feeds.get(loop)
    if found is None or found.rt is not rt:
        found = _feeds[loop] = JobFeed(rt)
    return found
