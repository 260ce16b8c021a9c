"""Dead processes are detected (same host: pid gone; elsewhere: stale heartbeat)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

from storyreel.engine import executors
from storyreel.engine.runtime import Runtime
from storyreel.store.models import Executor, utcnow


async def test_dead_pid_and_stale_heartbeat_are_found(rt: Runtime) -> None:
    gone = subprocess.run(  # noqa: ASYNC221 - a tiny child whose pid we need dead
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    async with rt.db.session() as session:
        session.add(Executor(id="dead-here", host=socket.gethostname(), pid=int(gone.stdout)))
        session.add(Executor(id="alive-here", host=socket.gethostname(), pid=os.getpid()))
        session.add(
            Executor(
                id="stale-elsewhere",
                host="other-host",
                pid=1,
                heartbeat_at=utcnow() - timedelta(minutes=5),
            )
        )
        session.add(Executor(id="fresh-elsewhere", host="other-host", pid=1))
    dead = await executors.find_dead(rt.db, me="me")
    assert set(dead) == {"dead-here", "stale-elsewhere"}
    await executors.forget(rt.db, dead)
    assert await executors.find_dead(rt.db, me="me") == []
