"""Watching real processes through /proc, for tests about liveness and leftovers."""

from __future__ import annotations

import time
from pathlib import Path

from storyreel import procinfo


def wait_for_state(pid: int, states: str, timeout: float = 5.0) -> procinfo.ProcStat:
    """Poll until ``pid`` is in one of ``states`` (letters of /proc/<pid>/stat field 3)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stat = procinfo.read_stat(pid)
        if stat is not None and stat.state in states:
            return stat
        time.sleep(0.02)
    raise AssertionError(f"pid {pid} never reached state {states}: {procinfo.read_stat(pid)}")


def pids_with_arg(needle: str) -> list[int]:
    """Live (non-zombie) processes whose command line mentions ``needle``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        if needle in cmdline and procinfo.is_running(int(entry.name)):
            found.append(int(entry.name))
    return found


def wait_until_gone(needle: str, timeout: float) -> list[int]:
    """Wait up to ``timeout`` s for every process mentioning ``needle`` to end; return
    those still there."""
    deadline = time.monotonic() + timeout
    while (left := pids_with_arg(needle)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left
