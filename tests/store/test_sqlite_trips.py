"""The app store's SQLite connection: one trip to its thread per statement, and the
same answers (rows, counts, errors, rollbacks) as aiosqlite's own connection."""

from __future__ import annotations

import asyncio
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from storyreel.store.db import Database

_ITEMS = Table(
    "items",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True),
)


class _CountingQueue(queue.SimpleQueue[Any]):
    """aiosqlite's queue of calls for a connection's thread, counting what is put."""

    puts = 0

    def put_nowait(self, item: Any) -> None:
        _CountingQueue.puts += 1
        super().put_nowait(item)


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_CountingQueue]]:
    monkeypatch.setattr(aiosqlite.core, "SimpleQueue", _CountingQueue)
    _CountingQueue.puts = 0
    yield _CountingQueue


async def _database(tmp_path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    async with db.session() as session:
        await session.run_sync(lambda s: _ITEMS.create(s.connection()))
        await session.execute(insert(_ITEMS), [{"name": f"n{i}"} for i in range(5)])
    return db


async def test_a_statement_is_one_trip_and_a_read_ends_with_none(
    tmp_path: Path, trips: type[_CountingQueue]
) -> None:
    db = await _database(tmp_path)
    try:
        trips.puts = 0
        async with db.read() as session:
            names = (await session.execute(select(_ITEMS.c.name).order_by(_ITEMS.c.id))).all()
        assert [n for (n,) in names] == ["n0", "n1", "n2", "n3", "n4"]
        # aiosqlite's own: open a cursor, execute, fetch, close; then the pool's rollback
        assert trips.puts == 1

        trips.puts = 0
        async with db.session() as session:
            await session.execute(insert(_ITEMS).values(name="n5"))
        assert trips.puts == 2  # the statement and the commit

        trips.puts = 0
        async with db.session() as session:
            await session.execute(select(func.count()).select_from(_ITEMS))
        assert trips.puts == 1  # no transaction began: nothing to commit
    finally:
        await db.close()


async def test_counts_keys_errors_and_rollbacks_are_sqlite_s(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    try:
        async with db.session() as session:
            updated = await session.execute(
                _ITEMS.update().where(_ITEMS.c.id <= 2).values(name=_ITEMS.c.name + "x")
            )
            assert updated.rowcount == 2
            added = await session.execute(insert(_ITEMS).values(name="fresh"))
            assert added.inserted_primary_key == (6,)

        with pytest.raises(IntegrityError, match="UNIQUE"):
            async with db.session() as session:
                await session.execute(insert(_ITEMS).values(name="kept"))
                await session.execute(insert(_ITEMS).values(name="n3"))  # taken
        async with db.read() as session:
            names = set((await session.execute(select(_ITEMS.c.name))).scalars())
        assert "kept" not in names  # the failed transaction was rolled back whole
        assert {"n0x", "n1x", "fresh"} <= names

        async with db.read() as session:
            streamed = await session.stream(select(_ITEMS.c.id).order_by(_ITEMS.c.id))
            ids = [row.id async for row in streamed]
        assert ids == [1, 2, 3, 4, 5, 6]
    finally:
        await db.close()


async def test_a_slow_statement_does_not_hold_up_the_event_loop(tmp_path: Path) -> None:
    """The loop waits for an answer in place only briefly (``HURRY_SECONDS``); a
    statement that takes longer is awaited while the loop runs everything else."""
    db = await _database(tmp_path)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    def slow(value: int) -> int:
        time.sleep(0.3)
        return value

    try:
        async with db.read() as session:
            raw = await (await session.connection()).get_raw_connection()
            await raw.driver_connection.create_function("slow", 1, slow)
            ticker = asyncio.ensure_future(tick())
            await asyncio.sleep(0)
            answer = (await session.execute(text("select slow(7)"))).scalar_one()
            ticker.cancel()
        assert answer == 7
        assert ticks >= 10  # the loop ran on: about 60 ticks in 0.3 s, none if it stood
    finally:
        await db.close()
