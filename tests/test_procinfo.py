"""Process facts from /proc: zombies, stopped processes and reused pids, with real children."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from storyreel import procinfo
from tests.proc_helpers import wait_for_state

pytestmark = pytest.mark.skipif(not procinfo.has_proc(), reason="needs Linux /proc")


@pytest.fixture
def zombie() -> Iterator[int]:
    """A child that has exited and is deliberately not reaped yet."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    wait_for_state(child.pid, "Z")
    yield child.pid
    child.wait()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child
    child.kill()
    child.wait()


def test_a_zombie_is_not_running(zombie: int) -> None:
    os.kill(zombie, 0)  # what the old check relied on: it succeeds on a zombie
    stat = procinfo.read_stat(zombie)
    assert stat is not None and stat.exited
    assert not procinfo.is_running(zombie)


def test_a_stopped_process_still_counts_as_running(sleeper: subprocess.Popen[bytes]) -> None:
    os.kill(sleeper.pid, signal.SIGSTOP)
    stat = wait_for_state(sleeper.pid, "Tt")
    assert stat.stopped and not stat.exited
    assert procinfo.is_running(sleeper.pid)
    os.kill(sleeper.pid, signal.SIGCONT)


def test_start_ticks_tell_a_reused_pid_apart(sleeper: subprocess.Popen[bytes]) -> None:
    stat = procinfo.read_stat(sleeper.pid)
    assert stat is not None
    assert procinfo.is_running(sleeper.pid, stat.start_ticks)
    assert not procinfo.is_running(sleeper.pid, stat.start_ticks - 1)


def test_start_time_is_wall_clock(sleeper: subprocess.Popen[bytes]) -> None:
    stat = procinfo.read_stat(sleeper.pid)
    assert stat is not None
    assert abs(stat.started_at - datetime.now(UTC)) < timedelta(seconds=5)
    assert procinfo.own_start_ticks() <= stat.start_ticks


def test_a_missing_pid_is_not_running() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert procinfo.read_stat(int(child.stdout)) is None
    assert not procinfo.is_running(int(child.stdout))
    assert not procinfo.is_running(0)


def test_the_owner_tag_is_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every stored file asks for it: /proc is read once, and again only in a fork."""
    monkeypatch.setattr(procinfo, "_own_tag", None)
    reads: list[int] = []
    real = procinfo.read_stat

    def counted(pid: int) -> procinfo.ProcStat | None:
        reads.append(pid)
        return real(pid)

    monkeypatch.setattr(procinfo, "read_stat", counted)
    tags = {procinfo.owner_tag() for _ in range(20)}
    assert len(tags) == 1 and len(reads) == 1
    assert not procinfo.owner_gone(tags.pop())
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read_end)
        os.write(write_end, procinfo.owner_tag().encode())
        os._exit(0)
    os.close(write_end)
    forked = os.read(read_end, 200).decode()
    os.close(read_end)
    os.waitpid(child, 0)
    assert f".{child}." in forked
    assert procinfo.owner_gone(forked)
