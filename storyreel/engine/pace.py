"""How often DBOS looks for work on a provider's queue: fast while jobs this process queued
there wait for a slot, at the configured interval otherwise.

DBOS 3.4 gives every queue a thread that polls the system database at the queue's
``polling_interval_sec`` and starts queued workflows only then, so a slot freed between
two polls stays empty until the next one: 0.1 s a job on average at the default 0.2 s,
about a second per slot over a 24-shot story at concurrency 4. Polling faster costs
queries on every poll, idle or not, so only a queue with jobs waiting is polled at
``FAST_SECONDS``.

DBOS reads a queue's interval from the database before every wait and steps a lower one
down by 10% a poll, so a backlog reaches the fast pace within about a second and a half;
the first job of an idle queue is taken at the configured pace, as before. The interval
is the queue's row, shared by every process: a queue is fast while any engine has jobs
waiting there, and every engine start registers its queues with the configured interval
again (a process killed while fast leaves it fast until then).

A job stops counting once its workflow starts in this process, or after
``FORGET_SECONDS`` (another process took it, or a replayed parent queued it again long
after it ran): a queue is never kept fast for jobs that are not waiting. Only how soon a
slot is refilled changes, never which job gets it.
"""

from __future__ import annotations

import asyncio
import contextvars
import time

import structlog
from dbos import DBOS

log = structlog.get_logger(__name__)

FAST_SECONDS = 0.05
"""The pace of a queue with jobs waiting: a freed slot is refilled 25 ms later on average."""
FORGET_SECONDS = 60.0
"""A job queued this long ago no longer keeps its queue fast: one that never starts here
(taken by another process, or re-announced by a replay after it ran) costs at most this
long of fast polls, and a real backlog that old has newer jobs behind it."""

_normal: float | None = None
"""The configured interval; None while no engine runs in this process."""
_waiting: dict[str, dict[str, float]] = {}
"""Queue -> job id -> when it was queued (monotonic)."""
_applied: dict[str, float] = {}
"""Queue -> the interval this process last wrote."""
_writers: dict[str, asyncio.Task[None]] = {}


def start(normal: float) -> None:
    """An engine started here, its queues registered at ``normal`` seconds."""
    global _normal
    stop()
    _normal = normal


def stop() -> None:
    """The engine stops: forget everything (its next start registers the queues again)."""
    global _normal
    _normal = None
    _waiting.clear()
    _applied.clear()
    for task in _writers.values():
        task.cancel()
    _writers.clear()


def queued(queue: str, job_id: str) -> None:
    """A job went on ``queue`` from this process (or was queued again: a no-op then)."""
    if _normal is None:
        return
    _waiting.setdefault(queue, {}).setdefault(job_id, time.monotonic())
    _retune(queue)


def started(job_id: str) -> None:
    """A job's workflow started (or resumed) in this process: it waits no more."""
    for queue, jobs in _waiting.items():
        if jobs.pop(job_id, None) is not None:
            _retune(queue)
            return


def wanted(queue: str) -> float | None:
    """The interval ``queue`` should have now; None while no engine runs here."""
    if _normal is None:
        return None
    jobs = _waiting.get(queue, {})
    cutoff = time.monotonic() - FORGET_SECONDS
    for job_id in [j for j, at in jobs.items() if at < cutoff]:
        del jobs[job_id]
    return min(FAST_SECONDS, _normal) if jobs else _normal


def _retune(queue: str) -> None:
    target = wanted(queue)
    if target is None or _applied.get(queue, _normal) == target:
        return
    writer = _writers.get(queue)
    if writer is None or writer.done():
        # A fresh context: queued from inside a workflow, the task would inherit its DBOS
        # context, and nothing here belongs to any workflow.
        _writers[queue] = asyncio.get_running_loop().create_task(
            _write(queue), name=f"storyreel-pace-{queue}", context=contextvars.Context()
        )


async def _write(queue: str) -> None:
    """Write the wanted interval until the row holds the latest one: one writer per queue,
    so bursts of jobs coalesce into a write or two."""
    while (target := wanted(queue)) is not None and _applied.get(queue, _normal) != target:
        try:
            found = await DBOS.retrieve_queue_async(queue)
            if found is None:
                return
            await found.set_polling_interval_sec_async(target)
        except Exception as exc:  # noqa: BLE001 - pacing is an optimisation, never a failure
            log.debug("queue pace not changed", queue=queue, error=str(exc))
            return
        _applied[queue] = target
