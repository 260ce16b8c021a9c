"""An aiosqlite connection that makes one trip to its thread per statement.

aiosqlite runs each connection on a thread of its own, and every call is a trip there and
back: a hand-over to the thread, then one back to the event loop. SQLAlchemy's adapter
makes four for a query (open a cursor, execute, fetch the rows, close the cursor) and one
more for the commit or rollback that ends every session, even a read that began no
transaction. A statement on SQLite takes tens of microseconds; the trips took more, and
on SQLite the app store runs one transaction at a time per event loop (``store.db``), so
they were time every other job waited. Here a statement is one trip (the cursor is made,
run, read to the end and closed on the thread), and a commit or rollback with no
transaction open makes none.

SQLAlchemy reads a statement's rows from memory either way (its adapter fetches them all
at execute); server-side cursors (``stream``) get them from memory too.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

import aiosqlite

_Description = tuple[tuple[Any, ...], ...] | None
_Done = tuple[_Description, list[Any], int, int | None]
_T = TypeVar("_T")

HURRY_SECONDS = 0.002
"""How long the event loop stands still for a statement's answer before awaiting it."""


def connect(database: str, **kwargs: Any) -> OneTripConnection:
    """Like ``aiosqlite.connect``: await the result to open it."""
    return OneTripConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size=64)


class OneTripConnection(aiosqlite.Connection):
    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        # aiosqlite's makes the sqlite3 cursor on the thread (a trip); this one is made
        # there by each statement. SQLAlchemy enters it as an async context manager.
        return OneTripCursor(self)

    async def commit(self) -> None:
        if self.in_transaction:
            await self.trip(self._conn.commit)

    async def rollback(self) -> None:
        if self.in_transaction:
            await self.trip(self._conn.rollback)

    async def trip(self, function: Callable[..., _T], *args: Any) -> _T:
        """Run ``function(*args)`` on the connection's thread, and wait for it without
        leaving the event loop for up to ``HURRY_SECONDS``, then as a coroutine.

        Handed back through the event loop, a statement's answer waits behind every
        callback the loop has ready, a few milliseconds on a busy engine, and on SQLite
        the session holding the app store's turn waits with every other one behind it.
        Waiting here, the loop stands still for the statement's tens of microseconds
        instead; a statement that takes longer (a lock held by another process, a large
        read) is waited for the usual way after at most ``HURRY_SECONDS``."""
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        loop = asyncio.get_running_loop()
        answered = loop.create_future()
        done = threading.Event()
        outcome: list[tuple[bool, Any]] = []

        def run() -> None:
            try:
                outcome.append((True, function(*args)))
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                outcome.append((False, error))
            done.set()
            loop.call_soon_threadsafe(_answer, answered, outcome[0])

        self._tx.put_nowait((None, run))
        ok, value = outcome[0] if done.wait(HURRY_SECONDS) else await answered
        if not ok:
            raise value
        return cast(_T, value)


class OneTripCursor:
    """The cursor SQLAlchemy's adapter uses: what it reads (description, rowcount,
    lastrowid, the rows) is taken on the thread by the statement's one trip."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: _Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: deque[Any] = deque()

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> OneTripCursor:
        return await self._run("execute", sql, parameters or ())

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> OneTripCursor:
        return await self._run("executemany", sql, list(parameters))

    async def _run(self, method: str, sql: str, parameters: Any) -> OneTripCursor:
        connection = self._connection
        done = await connection.trip(_run, connection._conn, method, sql, parameters)
        self.description, rows, self.rowcount, self.lastrowid = done
        self._rows = deque(rows)
        return self

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(len(self._rows), self.arraysize if size is None else size)
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()  # the sqlite3 cursor closed on the thread


def _answer(future: asyncio.Future[tuple[bool, Any]], outcome: tuple[bool, Any]) -> None:
    if not future.done():  # the caller was cancelled, or took the answer already
        future.set_result(outcome)


def _run(connection: sqlite3.Connection, method: str, sql: str, parameters: Any) -> _Done:
    """On the connection's thread: run the statement, read it to the end, close it."""
    cursor = connection.cursor()
    try:
        getattr(cursor, method)(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()
