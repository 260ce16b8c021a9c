"""Steps that outlive a database blip.

``Database.session`` waits for a database that is away when a transaction starts, but a
connection that dies half way through a step's transaction fails the step, and with it
the job's workflow and the whole story. ``survives_db_blips`` runs the step again, whole,
after such an error, for up to ``database_retry_seconds``. Past that it reports the
database lost (``storyreel.store.transient.report_lost``: the CLI then stops the process
as Ctrl-C does) and keeps trying until it is cancelled, rather than fail the workflow: a
workflow that ended in ERROR cannot be resumed, one that was cancelled mid-step resumes
on the next run. With nobody listening for the loss it raises the error instead.

That is safe for exactly the reason DBOS recovery is: a step whose process dies before
its checkpoint is run again whole on recovery, so every step is already written to be
repeated (jobs are found by request hash before one is created, status changes are
compare-and-set, a stored handle is never submitted again). A blip re-runs it without the
process dying first. Put it under ``@DBOS.step`` so the retries are one step execution
and one checkpoint.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from storyreel.store.transient import MAX_DELAY, is_transient, report_lost, retry_transient

from .runtime import runtime

P = ParamSpec("P")
T = TypeVar("T")


def survives_db_blips(step: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Retry the whole of ``step`` on a transient database error (see the module doc)."""

    @functools.wraps(step)
    async def retried(*args: P.args, **kwargs: P.kwargs) -> T:
        seconds = runtime().settings.database_retry_seconds
        what = f"step {step.__qualname__}"
        while True:
            try:
                return await retry_transient(
                    lambda: step(*args, **kwargs), seconds=seconds, what=what
                )
            except Exception as exc:
                if not is_transient(exc) or not report_lost(exc):
                    raise
            await asyncio.sleep(MAX_DELAY)  # until the process stops this step

    return retried
