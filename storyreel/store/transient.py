"""Which database errors are blips worth waiting out, and the loop that waits them out.

A PostgreSQL restart, a failover, a server that is still starting up, or a SQLite file
held by another writer past the busy timeout: each fails the statement in flight, and
each is over in seconds. Every other database error (a constraint, a syntax error, a
cancelled query) is a real answer and is never retried.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import psycopg
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How long a transaction keeps retrying before the error reaches the caller
#: (``STORYREEL_DATABASE_RETRY_SECONDS``).
DEFAULT_RETRY_SECONDS = 60.0
#: First and longest wait between attempts: short enough that work resumes about a second
#: after the database is back.
FIRST_DELAY = 0.1
MAX_DELAY = 2.0

_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")
#: SQLSTATEs that say "try again": connection exceptions (class 08), operator intervention
#: (57: admin/crash shutdown, cannot connect now) except 57014 query_canceled, insufficient
#: resources (53), and transaction rollbacks (40: serialization failure, deadlock), which
#: PostgreSQL asks clients to retry whole.
_RETRY_CLASSES = ("08", "57", "53", "40")
_NOT_RETRIED = {"57014"}


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` (or what it was raised from) is a database blip: retrying the
    whole transaction later is expected to succeed."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _transient_here(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _transient_here(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        return exc.orig is not None and _transient_here(exc.orig)
    if isinstance(exc, psycopg.OperationalError):
        code = exc.sqlstate
        if code is None:  # no answer from a server at all: refused, reset, closed
            return True
        return code[:2] in _RETRY_CLASSES and code not in _NOT_RETRIED
    if isinstance(exc, sqlite3.OperationalError):
        return any(text in str(exc) for text in _SQLITE_BUSY)
    return False


#: Called when the database has been away longer than the retry time, by code that will
#: not give up on its own (workflow steps, the progress display). The CLI installs one that
#: stops the command the way Ctrl-C does, so workflows stay pending for the next run.
_on_lost: list[Callable[[BaseException], None]] = []


def set_on_lost(callback: Callable[[BaseException], None] | None) -> None:
    """Install (or, with None, remove) the process's "database lost" handler."""
    _on_lost.clear()
    if callback is not None:
        _on_lost.append(callback)


def report_lost(exc: BaseException) -> bool:
    """Tell the process the database is lost; False when nobody listens (then the caller
    raises instead)."""
    for callback in _on_lost:
        callback(exc)
    return bool(_on_lost)


def describe(exc: BaseException) -> str:
    """The driver's one-line reason, without SQLAlchemy's SQL echo and background link."""
    current: BaseException = exc
    while isinstance(current, DBAPIError) and current.orig is not None:
        current = current.orig
    text = str(current).strip().splitlines()
    return text[0] if text else type(current).__name__


def delays(first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> Callable[[], float]:
    """Capped exponential backoff with jitter, so many waiting processes do not all
    reconnect in the same millisecond."""
    current = first

    def next_delay() -> float:
        nonlocal current
        delay = current * random.uniform(0.5, 1.0)
        current = min(current * 2, cap)
        return delay

    return next_delay


async def retry_transient(
    attempt: Callable[[], Awaitable[T]], *, seconds: float, what: str = "database call"
) -> T:
    """Await ``attempt()``, calling it again after each transient error until it succeeds
    or ``seconds`` have passed (then the last error is raised). ``attempt`` must be safe
    to repeat: each call a whole transaction, never the second half of one."""
    deadline = time.monotonic() + seconds
    next_delay = delays()
    failures = 0
    while True:
        try:
            result = await attempt()
        except Exception as exc:
            if not is_transient(exc):
                raise
            failures += 1
            delay = next_delay()
            if time.monotonic() + delay > deadline:
                log.error("%s failed for %.0f s; giving up: %s", what, seconds, describe(exc))
                raise
            log.warning(
                "%s: transient database error (attempt %d), retrying in %.2f s: %s",
                what,
                failures,
                delay,
                describe(exc),
            )
            await asyncio.sleep(delay)
        else:
            if failures:
                log.warning("%s succeeded after %d transient failures", what, failures)
            return result
