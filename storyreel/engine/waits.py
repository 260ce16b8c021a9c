"""Waiting for workflows to end without polling each one.

One ``Watch`` per event loop holds every workflow id that a coroutine on that loop waits
for, and asks DBOS about all of them in one query, only when something may have changed:

- as soon as a waiter arrives, so a workflow that ended while nobody waited (a parent
  recovered after a crash, whose children finished while it was down) is seen at once;
- never for a workflow of this process that ends: each workflow body calls
  ``notify_when_done``, which hooks the asyncio task DBOS runs it in, and that task
  returns only after DBOS has recorded the outcome (DBOS 3.4 ``_execute_workflow_async``;
  see docs/engine.md), so its waiters are told at once, with no query; a task that ends
  otherwise (cancelled, or raising) makes the watch look, as an end elsewhere would;
- otherwise every ``FALLBACK_SECONDS``, for workflows that end elsewhere (another worker
  process, a cancel from the CLI's DBOS client): one query for all the ids, not one per
  waiter.

Waiting itself is not durable. Inside a workflow, ``result`` follows the wait with the
handle's ``get_result``, which finds the outcome on its first read and checkpoints it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from dbos import DBOS, WorkflowHandleAsync
from dbos import error as dbos_errors

log = structlog.get_logger(__name__)

R = TypeVar("R")

#: How often a watch looks for workflows that ended in another process.
FALLBACK_SECONDS = 1.0
#: ``get_result`` polls only if the row is not final yet when the watch said it was (it is).
_SAFETY_POLL_SECONDS = 0.5
UNFINISHED = frozenset({"PENDING", "ENQUEUED", "DELAYED"})

_watches: dict[asyncio.AbstractEventLoop, Watch] = {}
_lock = threading.Lock()


class Watch:
    """The waiters of one event loop, and the task that answers them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiters: dict[str, list[asyncio.Future[None]]] = {}
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        #: Status queries made (tests pin that waiting costs nothing).
        self.queries = 0

    async def wait(self, workflow_id: str) -> None:
        future: asyncio.Future[None] = self.loop.create_future()
        self.waiters.setdefault(workflow_id, []).append(future)
        self.wake.set()
        if self.task is None or self.task.done():
            # A fresh context: created from inside a workflow, the task would inherit that
            # workflow's DBOS context, and its status queries would be recorded as steps of
            # whichever workflow happened to start it, a different sequence on every replay.
            self.task = self.loop.create_task(
                self._run(), name="storyreel-workflow-watch", context=contextvars.Context()
            )
        try:
            await future
        finally:
            left = [f for f in self.waiters.get(workflow_id, []) if f is not future]
            if left:
                self.waiters[workflow_id] = left
            else:
                self.waiters.pop(workflow_id, None)

    def poke(self) -> None:
        """Something may have ended: look again (thread-safe)."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.wake.set)

    def ended(self, workflow_id: str) -> None:
        """The workflow has a recorded outcome: release its waiters (thread-safe)."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._release, workflow_id)

    def _release(self, workflow_id: str) -> None:
        for future in self.waiters.pop(workflow_id, []):
            if not future.done():
                future.set_result(None)

    async def _run(self) -> None:
        while self.waiters:
            self.wake.clear()
            ids = list(self.waiters)
            try:
                finished, missing = await _finished(ids)
                self.queries += 1
            except Exception as exc:  # noqa: BLE001 - a blip: the fallback tick tries again
                log.warning("workflow status check failed", error=str(exc))
                finished, missing = set(), set()
            for workflow_id in finished:
                self._release(workflow_id)
            for workflow_id in missing:  # no such workflow: waiting would never end
                for future in self.waiters.pop(workflow_id, []):
                    if not future.done():
                        future.set_exception(
                            dbos_errors.DBOSNonExistentWorkflowError("target", workflow_id)
                        )
            if not self.waiters:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=FALLBACK_SECONDS)


async def _finished(ids: list[str]) -> tuple[set[str], set[str]]:
    """Of ``ids``, those that ended and those that do not exist."""
    statuses = await DBOS.list_workflows_async(
        workflow_ids=ids, load_input=False, load_output=False
    )
    ended = {s.workflow_id for s in statuses if s.status not in UNFINISHED}
    return ended, set(ids) - {s.workflow_id for s in statuses}


def watch() -> Watch:
    """The running loop's watch."""
    loop = asyncio.get_running_loop()
    with _lock:
        for old in [lp for lp in _watches if lp.is_closed()]:
            del _watches[old]
        found = _watches.get(loop)
        if found is None:
            found = _watches[loop] = Watch(loop)
        return found


async def wait_ended(workflow_id: str) -> None:
    """Return once the workflow has an outcome (succeeded, failed or cancelled); raise
    ``DBOSNonExistentWorkflowError`` if there is no such workflow."""
    await watch().wait(workflow_id)


async def result(handle: WorkflowHandleAsync[R]) -> R:
    """The workflow's result (or its error), without polling its status row. Inside a
    workflow the result is checkpointed as ``handle.get_result`` does it."""
    await wait_ended(handle.workflow_id)
    value: R = await handle.get_result(polling_interval_sec=_SAFETY_POLL_SECONDS)
    return value


_end_listeners: list[Callable[[], None]] = []


def on_workflow_end(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` (from the ending workflow's loop; it must be quick and
    thread-safe) each time a workflow of this process ends; returns the function that
    removes it. Live displays use it to look at once instead of at their next tick."""
    with _lock:
        _end_listeners.append(listener)

    def remove() -> None:
        with _lock, contextlib.suppress(ValueError):
            _end_listeners.remove(listener)

    return remove


def _poke_all(_task: Any = None) -> None:
    """Something ended somewhere: every watch looks, every listener is told."""
    with _lock:
        watches = list(_watches.values())
    for w in watches:
        w.poke()
    _tell_listeners()


def _tell_listeners() -> None:
    with _lock:
        listeners = list(_end_listeners)
    for listener in listeners:
        try:
            listener()
        except Exception as exc:  # noqa: BLE001 - a display's hook never breaks a workflow
            log.warning("workflow end listener failed", error=str(exc))


def _task_ended(workflow_id: str | None, task: asyncio.Task[Any]) -> None:
    """A workflow task that returned has its outcome recorded: its waiters go on without
    a query. Cancelled or raising, the outcome may not be recorded yet (or by someone
    else): the watches look."""
    if workflow_id is None or task.cancelled() or task.exception() is not None:
        _poke_all()
        return
    with _lock:
        watches = list(_watches.values())
    for w in watches:
        w.ended(workflow_id)
    _tell_listeners()


def notify_when_done() -> None:
    """Call first thing in a workflow body: its end releases its waiters in this process."""
    task = asyncio.current_task()
    if task is not None:
        task.add_done_callback(functools.partial(_task_ended, DBOS.workflow_id))
