"""Which engine processes are alive, so a dead one's workflows get picked up.

DBOS recovers a process's pending workflows when a process with the *same* executor id
starts. storyreel runs short-lived processes (``story run``, ``demo``) beside long-lived
workers, so each process gets its own executor id, writes a heartbeat, and every process
hands the workflows of dead executors back to the queues: on this host at once (the pid is
gone), elsewhere once the heartbeat is stale. DBOS's ownership fencing makes a duplicate
recovery harmless.

"Gone" on this host means more than a missing pid (see :mod:`storyreel.procinfo`):

* a zombie (state Z) has exited; only its parent has not reaped it yet;
* a process whose start time is later than the executor's registration is another
  program that reused the pid;
* a stopped process (state T, SIGSTOP or Ctrl-Z) may still be resumed, so it counts as
  gone only once its heartbeat is also older than ``STOPPED_GRACE`` (three missed beats).
  That takes its work over in ~15 s instead of the 30 s of a plain stale heartbeat, while
  a brief stop (a debugger, a shell's Ctrl-Z then ``fg``) keeps it. If a stopped process
  resumes after being given up, its next heartbeat registers it again.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from storyreel import procinfo
from storyreel.ids import new_id
from storyreel.store.db import Database
from storyreel.store.models import Executor, utcnow

HEARTBEAT_SECONDS = 5.0
STALE_AFTER = timedelta(seconds=30)
STOPPED_GRACE = timedelta(seconds=3 * HEARTBEAT_SECONDS)
# The registration is written after the process starts; the boot time /proc gives is whole
# seconds, so a process that started up to this much after registering is still the same.
_START_SLACK = timedelta(seconds=2)


def new_executor_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"


def pid_alive(pid: int) -> bool:
    """The pid names a process that has not exited (a zombie has)."""
    return procinfo.is_running(pid)


def process_gone(pid: int, registered_at: datetime, heartbeat_at: datetime) -> bool:
    """Whether the local executor process with ``pid``, registered at ``registered_at``,
    is dead: see the module docstring for zombies, reused pids and stopped processes."""
    if not procinfo.has_proc():
        return not pid_alive(pid)
    stat = procinfo.read_stat(pid)
    if stat is None or stat.exited:
        return True
    if stat.started_at > _aware(registered_at) + _START_SLACK:
        return True
    return stat.stopped and _aware(heartbeat_at) < utcnow() - STOPPED_GRACE


async def register(db: Database, executor_id: str) -> None:
    """Insert or refresh this process's row (a worker restarted with a stable executor id
    takes its old row over)."""
    async with db.session() as session:
        await session.merge(
            Executor(
                id=executor_id,
                host=socket.gethostname(),
                pid=os.getpid(),
                started_at=utcnow(),
                heartbeat_at=utcnow(),
            )
        )


async def heartbeat(db: Database, executor_id: str) -> None:
    """Refresh this process's row, or write it again if another process gave us up (we
    were stopped past the grace, or out of touch with the database past ``STALE_AFTER``)."""
    async with db.session() as session:
        result = await session.execute(
            update(Executor).where(Executor.id == executor_id).values(heartbeat_at=utcnow())
        )
        refreshed = bool(getattr(result, "rowcount", 1))
    if not refreshed:
        await register(db, executor_id)


async def find_dead(db: Database, me: str) -> list[str]:
    host = socket.gethostname()
    cutoff = utcnow() - STALE_AFTER
    async with db.session() as session:
        rows = (await session.execute(select(Executor).where(Executor.id != me))).scalars()
        dead = []
        for row in rows:
            stale = _aware(row.heartbeat_at) < cutoff
            gone = row.host == host and process_gone(row.pid, row.started_at, row.heartbeat_at)
            if stale or gone:
                dead.append(row.id)
        return dead


async def forget(db: Database, executor_ids: list[str]) -> None:
    async with db.session() as session:
        await session.execute(delete(Executor).where(Executor.id.in_(executor_ids)))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
