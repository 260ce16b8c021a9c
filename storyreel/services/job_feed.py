"""Which jobs changed, for every live display of one process, from one query per tick.

A page that shows jobs live (the web UI's job table) subscribes; while anyone is
subscribed, one task per event loop asks the database every ``TICK_SECONDS`` for a few
small columns of the jobs that are queued or running plus any job newer than the newest it
has seen (both indexed: ``ix_jobs_status_id`` and the primary key), and for the ones that
left the active set since the last tick (they finished, looked up by id). Only the jobs
whose status, progress, note, cost or place in their provider's line moved are then read in
full, once, and handed to every subscriber. However many tabs are open, the database sees
the same queries per tick, never one per connection, and none when nobody watches.

Queue positions come from the same look (the queued ids of each provider, in order), so a
job's "#3 in line" moves when a job ahead of it starts, for the first ``TRACKED_POSITIONS``
places of each line (beyond that the number changes too often to be worth a row a tick).

A workflow ending in this process (``engine.waits.on_workflow_end``) wakes the feed at
once, so a finished job shows without waiting for the tick (but never more often than every
``MIN_GAP_SECONDS``). It reads the job table, so it sees work done by worker processes on
other machines too.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Iterable
from typing import Any

import structlog
from sqlalchemy import func, or_, select
from sqlalchemy.orm import noload

from storyreel.engine import waits
from storyreel.engine.jobs import ACTIVE
from storyreel.engine.runtime import Runtime
from storyreel.providers.types import JobState
from storyreel.store.models import Job

log = structlog.get_logger(__name__)

#: How often the feed looks at the job table while someone watches.
TICK_SECONDS = 0.5
#: The least time between two looks, however often workflows end.
MIN_GAP_SECONDS = 0.1
#: Places in each provider's line whose changes are sent.
TRACKED_POSITIONS = 50
#: How many of the newest active jobs a new subscriber gets at once (a page rendered just
#: before it subscribed may already be behind on them).
SEED_JOBS = 100
_ACTIVE = [state.value for state in ACTIVE]
_COLUMNS = (
    Job.id,
    Job.provider,
    Job.status,
    Job.updated_at,
    Job.progress,
    Job.note,
    Job.cost_usd,
    Job.failover_to,
)


class JobFeed:
    """The subscribers of one event loop and the task that feeds them."""

    def __init__(self, rt: Runtime, *, tick: float | None = None) -> None:
        self.rt = rt
        self.tick = tick or TICK_SECONDS
        self.subscribers: set[asyncio.Queue[list[Job]]] = set()
        self.fresh: set[asyncio.Queue[list[Job]]] = set()
        self.task: asyncio.Task[None] | None = None
        self.seen: dict[str, tuple[Any, ...]] = {}
        self.positions: dict[str, int] = {}
        """Queued job id -> jobs of its provider ahead of it (0: next), as of the last look."""
        self.newest: str | None = None
        self.wake = asyncio.Event()
        #: Queries made (tests pin that watching costs the same however many tabs watch).
        self.queries = 0

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[list[Job]]]:
        """A queue that receives each batch of changed jobs until the block ends; the
        first batch holds the newest active jobs as they are now."""
        queue: asyncio.Queue[list[Job]] = asyncio.Queue(maxsize=64)
        self.subscribers.add(queue)
        self.fresh.add(queue)
        if self.task is None or self.task.done():
            # A fresh context: never recorded as part of whichever request started it.
            self.task = asyncio.get_running_loop().create_task(
                self._run(), name="storyreel-job-feed", context=contextvars.Context()
            )
        else:
            self.wake.set()
        try:
            yield queue
        finally:
            self.subscribers.discard(queue)
            self.fresh.discard(queue)

    async def _run(self) -> None:
        self.seen, self.positions, self.newest = {}, {}, None
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
            fresh, self.fresh = self.fresh, set()
            try:
                changed, seed = await self.poll(seed=bool(fresh))
            except Exception as exc:  # noqa: BLE001 - a blip: the next tick tries again
                log.warning("job feed query failed", error=str(exc))
                changed, seed = [], []
                self.fresh |= fresh
            for queue in list(self.subscribers):
                batch = _merge(seed, changed) if queue in fresh else changed
                if not batch:
                    continue
                if queue.full():  # a stuck reader loses the oldest batch, not the feed
                    queue.get_nowait()
                queue.put_nowait(batch)
            await asyncio.sleep(MIN_GAP_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.tick - MIN_GAP_SECONDS)

    async def poll(self, *, seed: bool = False) -> tuple[list[Job], list[Job]]:
        """One look: the jobs that changed since the last (none the first time, which is
        the baseline), and with ``seed`` the newest ``SEED_JOBS`` active ones."""
        async with self.rt.db.sessions() as session, session.begin():
            first = self.newest is None
            if first:
                self.newest = await session.scalar(select(func.max(Job.id))) or ""
                self.queries += 1
            look = select(*_COLUMNS).where(or_(Job.status.in_(_ACTIVE), Job.id > self.newest))
            rows = list((await session.execute(look)).all())
            self.queries += 1
            gone = set(self.seen) - {row.id for row in rows}
            if gone:
                rows += list(
                    (await session.execute(select(*_COLUMNS).where(Job.id.in_(gone)))).all()
                )
                self.queries += 1
            changed_ids = self._changes(rows)
            wanted = set() if first else set(changed_ids)
            seed_ids = set(self._newest_active(rows)) if seed else set()
            full = await self._read(session, wanted | seed_ids)
        changed = [full[i] for i in sorted(wanted) if i in full]
        return changed, [full[i] for i in sorted(seed_ids) if i in full]

    async def _read(self, session: Any, ids: set[str]) -> dict[str, Job]:
        if not ids:
            return {}
        stmt = select(Job).options(noload(Job.outputs)).where(Job.id.in_(ids))
        self.queries += 1
        return {job.id: job for job in (await session.execute(stmt)).scalars().all()}

    def _changes(self, rows: list[Any]) -> list[str]:
        """The ids whose fingerprint moved; remembers the active ones and the positions."""
        lines: dict[str, list[str]] = {}
        for row in sorted(rows, key=lambda r: r.id):
            if row.status == JobState.QUEUED.value:
                lines.setdefault(row.provider, []).append(row.id)
        self.positions = {i: n for line in lines.values() for n, i in enumerate(line)}
        changed = []
        seen: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            place = self.positions.get(row.id)
            mark = (
                row.status,
                row.updated_at,
                row.progress,
                row.note,
                row.cost_usd,
                row.failover_to,
                place if place is not None and place < TRACKED_POSITIONS else None,
            )
            if self.seen.get(row.id) != mark:
                changed.append(row.id)
            if row.status in _ACTIVE:
                seen[row.id] = mark  # finished jobs are never looked at again
        self.seen = seen
        if rows:
            self.newest = max(self.newest or "", *(row.id for row in rows))
        return changed

    @staticmethod
    def _newest_active(rows: Iterable[Any]) -> list[str]:
        active = sorted((row.id for row in rows if row.status in _ACTIVE), reverse=True)
        return active[:SEED_JOBS]


def _merge(first: list[Job], second: list[Job]) -> list[Job]:
    by_id = {job.id: job for job in first} | {job.id: job for job in second}
    return [by_id[i] for i in sorted(by_id)]


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
