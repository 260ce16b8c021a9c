"""Dead processes are detected (same host: pid gone; elsewhere: stale heartbeat)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest

from storyreel import procinfo
from storyreel.engine import executors
from storyreel.engine.runtime import Runtime
from storyreel.store.models import Executor, utcnow
from tests.proc_helpers import wait_for_state

needs_proc = pytest.mark.skipif(not procinfo.has_proc(), reason="needs Linux /proc")


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


async def _dead_among(rt: Runtime, *rows: Executor) -> set[str]:
    async with rt.db.session() as session:
        session.add_all(rows)
    return set(await executors.find_dead(rt.db, me="me"))


def _here(executor_id: str, pid: int, **fields: object) -> Executor:
    return Executor(id=executor_id, host=socket.gethostname(), pid=pid, **fields)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child
    child.kill()
    child.wait()


@pytest.fixture
def zombie() -> Iterator[int]:
    """A child that has exited and is deliberately not reaped until the test ends."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    wait_for_state(child.pid, "Z")
    yield child.pid
    child.wait()


@needs_proc
async def test_a_zombie_worker_is_dead_at_once(rt: Runtime, zombie: int) -> None:
    assert await _dead_among(rt, _here("zombie", zombie)) == {"zombie"}


@needs_proc
async def test_a_stopped_worker_is_dead_only_once_its_heartbeat_is_stale(
    rt: Runtime, sleeper: subprocess.Popen[bytes]
) -> None:
    os.kill(sleeper.pid, signal.SIGSTOP)
    wait_for_state(sleeper.pid, "Tt")
    registered = utcnow()
    fresh = _here("stopped-fresh", sleeper.pid, started_at=registered)
    late = utcnow() - executors.STOPPED_GRACE - timedelta(seconds=3)
    assert late > utcnow() - executors.STALE_AFTER  # not merely the 30 s stale rule
    quiet = _here("stopped-quiet", sleeper.pid, started_at=registered, heartbeat_at=late)
    assert await _dead_among(rt, fresh, quiet) == {"stopped-quiet"}


@needs_proc
async def test_a_reused_pid_does_not_keep_a_dead_worker_alive(
    rt: Runtime, sleeper: subprocess.Popen[bytes]
) -> None:
    # The executor registered ten minutes ago; the process now holding its pid started
    # just now, so it is some other program.
    old = _here("reused", sleeper.pid, started_at=utcnow() - timedelta(minutes=10))
    same = _here("same", sleeper.pid, started_at=utcnow())
    assert await _dead_among(rt, old, same) == {"reused"}


async def test_a_worker_given_up_registers_again_on_its_next_heartbeat(rt: Runtime) -> None:
    await executors.register(rt.db, "comeback")
    await executors.forget(rt.db, ["comeback"])
    await executors.heartbeat(rt.db, "comeback")
    async with rt.db.session() as session:
        row = await session.get(Executor, "comeback")
    assert row is not None and row.pid == os.getpid()
