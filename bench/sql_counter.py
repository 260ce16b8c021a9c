"""Counting SQL statements per database while a benchmark runs.

A ``before_cursor_execute`` listener on SQLAlchemy's ``Engine`` class sees every engine in
the process: the app store's (one per event loop) and DBOS's system database engine, told
apart by their drivers (the app's is async, DBOS's is not). Pool pings and SQLite pragmas
sent on a raw DBAPI cursor are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def count_statements() -> Iterator[Counter[str]]:
    """Yield a Counter of statements, ``app`` and ``dbos``, filled while the block runs."""
    counts: Counter[str] = Counter()

    def count(conn: Any, *_args: Any) -> None:
        counts["app" if conn.dialect.is_async else "dbos"] += 1

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(Engine, "before_cursor_execute", count)
