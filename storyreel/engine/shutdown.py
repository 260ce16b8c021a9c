"""Stopping an engine without leaving work running behind it.

A stopped engine must look to the rest of the process exactly like a dead one: its
workflows stay PENDING in DBOS and the next engine resumes them. Two things would
otherwise outlive ``Engine.stop``:

- workflow tasks on the engine's loop, which ``DBOS.destroy`` does not cancel; they would
  go on polling providers with a closed runtime beside the next engine's copy;
- SQLite connection threads: a cancelled query makes SQLAlchemy force-close its
  aiosqlite connection, whose thread finishes a moment later and then reports to its
  event loop, which must still be open (``Database.close`` waits for them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

import dbos._dbos as dbos_internals

from . import wakeups

T = TypeVar("T")


#: DBOS names nothing, so its queue manager thread carries its target's name.
_QUEUE_MANAGER = "(queue_thread)"
#: Queue workers wake at least once per queue polling interval; this bounds a stuck one.
_DEQUEUE_STOP_SECONDS = 15.0


async def stop_dequeuing() -> None:
    """Stop DBOS starting queued workflows on this loop, and wait until it has.

    ``DBOS.destroy`` stops its queue threads too, but only after other shutdown work has
    begun: a workflow dequeued meanwhile would start on a half-destroyed DBOS (its thread
    pool already shut) and fail loudly. Setting DBOS's stop events first (3.4 keeps them in
    ``background_thread_stop_events``) and joining the queue manager, which joins its
    workers, closes that window; ``destroy`` later sets the same events again.
    """
    instance = dbos_internals._dbos_global_instance
    if instance is None:
        return
    for event in getattr(instance, "background_thread_stop_events", []):
        event.set()
    wakeups.wake_all()  # workers wait on their wake-up, which checks the stop only now and then
    managers = [
        thread
        for thread in getattr(instance, "_background_threads", [])
        if thread.name.endswith(_QUEUE_MANAGER)
    ]
    for thread in managers:
        await asyncio.to_thread(thread.join, _DEQUEUE_STOP_SECONDS)


def workflow_tasks() -> set[asyncio.Task[Any]]:
    """The live set of async workflow tasks DBOS runs in this process.

    DBOS 3.4 keeps strong references to them in ``_workflow_tasks`` (each removes itself
    when done) and exposes no public way to reach them.
    """
    instance = dbos_internals._dbos_global_instance
    tasks: set[asyncio.Task[Any]] = getattr(instance, "_workflow_tasks", set())
    return tasks


async def cancel_tasks(tasks: set[asyncio.Task[Any]]) -> None:
    """Cancel the tasks of this loop and wait until each has unwound.

    A cancelled DBOS workflow records nothing: it stays PENDING and is recovered, the
    same as after a crash.
    """
    loop = asyncio.get_running_loop()
    mine = [task for task in list(tasks) if task.get_loop() is loop and not task.done()]
    for task in mine:
        task.cancel()
    dbos_log = logging.getLogger("dbos")
    dbos_log.addFilter(_drop_cancellation_notices)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*mine, return_exceptions=True)
    finally:
        dbos_log.removeFilter(_drop_cancellation_notices)


def _drop_cancellation_notices(record: logging.LogRecord) -> bool:
    # DBOS warns once per unwinding workflow and step; here the cancel is ours and the
    # user already sees "interrupted; run the same command again to resume".
    return not record.getMessage().startswith("Asyncio task cancelled for workflow or step")


async def finish_before_cancel(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to its end even if the caller is cancelled meanwhile, then pass the
    cancellation on. For the few sections that must not stop half-way (a paid submit and
    the write of its handle); keep them short, ``Engine.stop`` waits for them."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise
