"""A provider's queue is looked at the moment this process gives it work: when a job is
queued there, and when one of its workflows on that queue ends (a slot is free).

DBOS 3.4 gives every queue a worker thread that sleeps ``polling_interval_sec`` on the
queue manager's stop event between looks and has no other way to be woken: a slot freed
just after a look stays empty until the next one, and looking often costs queries on
every queue, idle or not (about 3 ms of CPU a look on SQLite, 7 ms on PostgreSQL; see
docs/engine.md). Here each worker thread is handed a stand-in for that stop event whose
``wait`` also returns when its queue is woken, and DBOS's registry of running workflows
wakes a queue when a workflow of it is released, after its outcome is recorded. A look
that follows a wake-up sees what caused it: the wake is always sent after the enqueue or
the outcome is committed, and the flag is cleared before the look.

Work from elsewhere (a job queued by another process, a slot freed by a workflow that
ended in another process, a rate limit's window moving on) is found by one ``Scanner``
per process, which asks every ``Settings.queue_poll_interval`` in a single query which of
its queues have jobs waiting, and wakes those: an idle queue costs one index probe a look
instead of DBOS's several statements. DBOS's own poll of each queue is kept, every
``IDLE_POLL_SECONDS``, as the net under all of this.

A slot held for a follow-up (``handover``) is kept out of DBOS's claim: the claim sees this
process's limit lowered by the slots held here, and the worker looks again when a hold ends.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from typing import Any

import dbos._core as dbos_core
import dbos._dbos as dbos_internals
import dbos._queue as dbos_queue
import dbos._sys_db as dbos_sys_db
import sqlalchemy as sa
import structlog

from . import handover

log = structlog.get_logger(__name__)

IDLE_POLL_SECONDS = 5.0
"""How often DBOS itself polls a queue nobody woke (the queue row's polling interval)."""
LOOK_GAP_SECONDS = 0.05
"""The least time between the starts of two looks at a queue. Under load every finished
job wakes its queue; a look claims every slot freed since the last one, so spacing them
lets one look fill several slots (a look costs several statements, a claim a few more)
and delays a freed slot 25 ms at most on average."""
STOP_CHECK_SECONDS = 0.25
"""A worker waiting longer than this checks DBOS's stop event at least this often: the
stand-in is not woken when DBOS sets the real one."""

_flags: dict[str, threading.Event] = {}
_flags_lock = threading.Lock()
_looks: dict[str, int] = {}
"""Queue -> looks its worker thread began here (tests pin that waking costs no extra)."""


def _flag(queue: str) -> threading.Event:
    with _flags_lock:
        flag = _flags.get(queue)
        if flag is None:
            flag = _flags[queue] = threading.Event()
        return flag


def wake(queue: str) -> None:
    """Have ``queue``'s worker look for work now. Call only after the change it should see
    is committed. Costs nothing when no worker listens to the queue here."""
    _flag(queue).set()


def wake_all() -> None:
    """Have every queue's worker here look now: an engine that has set DBOS's stop events
    calls it so each worker sees the stop at once, not at its next check (up to
    ``STOP_CHECK_SECONDS``: a quarter of a second added to every run's exit)."""
    with _flags_lock:
        flags = list(_flags.values())
    for flag in flags:
        flag.set()


def looks(queue: str) -> int:
    """How many times this process's worker for ``queue`` has looked for work."""
    return _looks.get(queue, 0)


class WakeableStop:
    """Stands for DBOS's stop event in one queue's worker thread: ``is_set`` is the real
    event's, and ``wait`` (DBOS's sleep between looks) also ends when the queue is woken."""

    def __init__(self, stop: threading.Event, queue: str) -> None:
        self._stop = stop
        self._queue = queue
        self._flag = _flag(queue)
        self._last_look = 0.0

    def is_set(self) -> bool:
        return self._stop.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep until ``timeout``, a wake-up or a stop; True only for a stop (DBOS's
        worker then returns). The flag is cleared before the look that follows, so a
        wake sent during a look brings one more look, never none."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stop.is_set():
            left = STOP_CHECK_SECONDS if deadline is None else deadline - time.monotonic()
            freed, next_free = handover.expire(self._queue)
            if left <= 0 or freed:
                break  # a held slot is free again: look
            if next_free is not None:
                left = min(left, next_free)
            if self._flag.wait(min(left, STOP_CHECK_SECONDS)):
                gap = self._last_look + LOOK_GAP_SECONDS - time.monotonic()
                if gap > 0:
                    self._stop.wait(gap)
                self._flag.clear()
                break
        stopped = self._stop.is_set()
        if not stopped:
            self._last_look = time.monotonic()
            _looks[self._queue] = _looks.get(self._queue, 0) + 1
        return stopped


class WakingActiveWorkflows(dbos_core.ActiveWorkflowById):
    """DBOS's registry of the workflows running here, which wakes a workflow's queue when
    it lets the workflow go. An async workflow is released after ``update_workflow_outcome``
    recorded its outcome, so the look sees its slot free."""

    def _remove(self, key: str, bucket: dbos_core.QueueBucket) -> None:
        super()._remove(key, bucket)
        if bucket is not None:
            handover.take(key, bucket[0])  # offered: its slot waits for the follow-up
            wake(bucket[0])


def _claim_less_held(original: Callable[..., Any]) -> Callable[..., Any]:
    """DBOS's claim of a queue's next workflows, with this process's share of the queue
    lowered by the slots held for a follow-up here (``handover``): a look fills every
    other free slot. The claim counts this process's running workflows from memory against
    its worker limit, so lowering that one costs no query and leaves the queue-wide limit
    (and DBOS's check that it is never exceeded) as it is."""

    def start_queued_workflows(self: Any, queue: Any, *args: Any, **kwargs: Any) -> Any:
        held = handover.held(queue.name)
        limits = [n for n in (queue._concurrency, queue._worker_concurrency) if n is not None]
        if held and limits:
            queue = copy.copy(queue)
            queue._worker_concurrency = max(0, min(limits) - held)
        return original(self, queue, *args, **kwargs)

    start_queued_workflows.__wrapped__ = original  # type: ignore[attr-defined]
    return start_queued_workflows


_original_worker: Callable[..., None] | None = None


def _worker(stop_event: threading.Event, dbos: Any, queue: Any) -> None:
    assert _original_worker is not None
    _original_worker(WakeableStop(stop_event, queue.name), dbos, queue)


def install() -> None:
    """Hook DBOS's queue workers and its running-workflow registry. Call after ``DBOS()``
    is constructed and before ``DBOS.launch()`` (which starts the workers and recovers
    workflows into the registry); safe to call again."""
    global _original_worker
    if _original_worker is None:
        _original_worker = dbos_queue.queue_worker_thread
        dbos_queue.queue_worker_thread = _worker
    claim = dbos_sys_db.SystemDatabase.start_queued_workflows
    if not hasattr(claim, "__wrapped__"):
        dbos_sys_db.SystemDatabase.start_queued_workflows = _claim_less_held(claim)  # type: ignore[method-assign]
    handover.on_free(wake)
    instance = dbos_internals._dbos_global_instance
    if instance is not None and not isinstance(
        instance._active_workflows_set, WakingActiveWorkflows
    ):
        assert not instance._active_workflows_set.activeList(), "install before launch"
        instance._active_workflows_set = WakingActiveWorkflows()


class Scanner:
    """One thread per engine that wakes the queues with jobs waiting in the system
    database, whoever queued them, every ``interval`` seconds."""

    def __init__(self, queues: Callable[[], list[str]], interval: float) -> None:
        self._queues = queues
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Scans made (tests pin that an idle queue costs one probe a look).
        self.scans = 0
        self._statements: dict[tuple[int, tuple[str, ...]], Any] = {}

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="storyreel-queue-scanner", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                for queue in self.waiting(self._queues()):
                    wake(queue)
            except Exception as exc:  # noqa: BLE001 - DBOS's own polls are the net under this
                log.debug("queue scan failed", error=str(exc))

    def waiting(self, queues: list[str]) -> list[str]:
        """Those of ``queues`` with a workflow waiting to be dequeued: one statement, an
        index probe per queue (DBOS's ``idx_workflow_status_in_flight``), however long
        the backlog."""
        if not queues:
            return []
        instance = dbos_internals._dbos_global_instance
        if instance is None:
            return []
        system_database = instance._sys_db
        key = (id(system_database), tuple(queues))
        statement = self._statements.get(key)
        if statement is None:
            # Built once per set of queues: building and coercing a union of selects on
            # every scan cost more of the interpreter (1.1 ms) than the scan's query.
            ws = system_database.tables.workflow_status
            probes = [
                sa.select(sa.literal(queue)).where(
                    sa.exists().where(ws.c.queue_name == queue, ws.c.status == "ENQUEUED")
                )
                for queue in queues
            ]
            statement = self._statements[key] = sa.union_all(*probes)
        with system_database.engine.connect() as connection:
            found = [row[0] for row in connection.execute(statement)]
        self.scans += 1
        return found
