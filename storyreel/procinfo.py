"""What this host knows about a process: does it run, is it a zombie, when did it start.

``os.kill(pid, 0)`` only says that *some* process table entry has that pid. It succeeds on
a zombie (exited, not yet reaped by its parent) and on an unrelated process that got the
pid after ours died. Liveness checks (executor takeover, scratch-file sweeps) therefore
read ``/proc/<pid>/stat`` on Linux, which gives the state letter and the start time in
clock ticks since boot; a (pid, start ticks) pair names one process for the whole uptime
of the host. Where there is no ``/proc`` (macOS) the checks fall back to ``os.kill``.
"""

from __future__ import annotations

import functools
import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_PROC = Path("/proc")
# R running, S sleeping, D disk wait, Z zombie, T stopped, t traced, X dead, I idle...
_GONE_STATES = frozenset("ZX")
_STOPPED_STATES = frozenset("Tt")


@dataclass(frozen=True)
class ProcStat:
    """The two facts from ``/proc/<pid>/stat`` that liveness needs."""

    state: str
    start_ticks: int

    @property
    def exited(self) -> bool:
        """A zombie has finished; only its exit status waits for the parent."""
        return self.state in _GONE_STATES

    @property
    def stopped(self) -> bool:
        """Stopped by a signal (SIGSTOP, Ctrl-Z) or a tracer: it may still resume."""
        return self.state in _STOPPED_STATES

    @property
    def started_at(self) -> datetime:
        """Wall-clock start, accurate to about a second (the boot time is whole seconds)."""
        return datetime.fromtimestamp(_boot_time() + self.start_ticks / _ticks_per_second(), UTC)


def has_proc() -> bool:
    return (_PROC / "self" / "stat").is_file()


def read_stat(pid: int) -> ProcStat | None:
    """The state and start of ``pid``, or None when there is no such process.

    The command name (field 2) is in parentheses and may itself contain spaces and
    parentheses, so fields are counted from the *last* closing parenthesis.
    """
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, NotADirectoryError):
        return None
    rest = text[text.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state); field 22 (starttime) is rest[19].
    return ProcStat(state=rest[0], start_ticks=int(rest[19]))


def _kill_zero(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_running(pid: int, start_ticks: int | None = None) -> bool:
    """True when ``pid`` is a live (not zombie) process, and the same one if ``start_ticks``
    is given. Stopped processes count as running: they may be resumed."""
    if pid <= 0:
        return False
    if not has_proc():
        return _kill_zero(pid)
    stat = read_stat(pid)
    if stat is None or stat.exited:
        return False
    return start_ticks is None or stat.start_ticks == start_ticks


def own_start_ticks() -> int:
    """This process's start in clock ticks since boot (0 where there is no ``/proc``)."""
    stat = read_stat(os.getpid()) if has_proc() else None
    return stat.start_ticks if stat is not None else 0


@functools.cache
def _ticks_per_second() -> int:
    return os.sysconf("SC_CLK_TCK")


def _boot_time() -> float:
    """Seconds since the epoch at boot; read each time because a clock step moves it."""
    for line in (_PROC / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    raise OSError("/proc/stat has no btime line")


# "@<host>.<pid>.<start ticks>.": names the process that owns a partial file or folder.
_OWNER = re.compile(r"@(?P<host>[A-Za-z0-9_-]+)\.(?P<pid>\d+)\.(?P<ticks>\d+)\.")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


_own_tag: tuple[int, str] | None = None
"""(pid, tag) of the last ``owner_tag``: a process's start never changes, and every file
the engine stores asks for it (reading ``/proc`` each time was 1% of a job's CPU)."""


def owner_tag() -> str:
    """This process, as a name part for the partial files it writes (``@host.pid.ticks.``):
    a sweep at the next start can tell a dead writer's leftovers from a live one's. Made
    again in a forked child, whose pid differs."""
    global _own_tag
    pid = os.getpid()
    if _own_tag is None or _own_tag[0] != pid:
        _own_tag = (pid, f"@{_host()}.{pid}.{own_start_ticks()}.")
    return _own_tag[1]


def owner_gone(name: str) -> bool:
    """Whether the process named in ``name`` (see ``owner_tag``) has ended on this host.
    A name without a tag, or from another host, is not ours to judge: False."""
    match = _OWNER.search(name)
    if match is None or match["host"] != _host():
        return False
    ticks = int(match["ticks"])
    return not is_running(int(match["pid"]), ticks or None)
