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
from typing import Any

import dbos._dbos as dbos_internals


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
