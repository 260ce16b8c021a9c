"""Which engine processes are alive, so a dead one's workflows get picked up.

DBOS recovers a process's pending workflows when a process with the *same* executor id
starts. storyreel runs short-lived processes (``story run``, ``demo``) beside long-lived
workers, so each process gets its own executor id, writes a heartbeat, and every process
hands the workflows of dead executors back to the queues: on this host at once (the pid is
gone), elsewhere once the heartbeat is stale. DBOS's ownership fencing makes a duplicate
recovery harmless.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from storyreel.ids import new_id
from storyreel.store.db import Database
from storyreel.store.models import Executor, utcnow

HEARTBEAT_SECONDS = 5.0
STALE_AFTER = timedelta(seconds=30)


def new_executor_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    async with db.session() as session:
        await session.execute(
            update(Executor).where(Executor.id == executor_id).values(heartbeat_at=utcnow())
        )


async def find_dead(db: Database, me: str) -> list[str]:
    host = socket.gethostname()
    cutoff = utcnow() - STALE_AFTER
    async with db.session() as session:
        rows = (await session.execute(select(Executor).where(Executor.id != me))).scalars()
        dead = []
        for row in rows:
            stale = _aware(row.heartbeat_at) < cutoff
            gone = row.host == host and not pid_alive(row.pid)
            if stale or gone:
                dead.append(row.id)
        return dead


async def forget(db: Database, executor_ids: list[str]) -> None:
    async with db.session() as session:
        await session.execute(delete(Executor).where(Executor.id.in_(executor_ids)))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
