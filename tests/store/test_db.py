"""The app database under cancellation: a stopping engine cancels its workflows mid-query."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from storyreel.store.db import Database, migrate


def _sqlite_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


async def _query_forever(db: Database) -> None:
    while True:
        async with db.session() as session:
            await session.execute(text("SELECT count(*) FROM jobs"))


async def test_cancelled_queries_leave_no_thread_and_log_no_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    rng = random.Random(7)
    before = _sqlite_threads()
    with caplog.at_level(logging.WARNING, logger="sqlalchemy"):
        for _ in range(100):  # cancellation lands at a different point each round
            db = Database(url)
            tasks = [asyncio.create_task(_query_forever(db)) for _ in range(4)]
            await asyncio.sleep(rng.uniform(0.001, 0.02))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await db.close()
            assert _sqlite_threads() - before == set(), "a connection thread outlived close()"
    assert [r.getMessage() for r in caplog.records] == []


async def test_every_sqlite_connection_gets_the_pragmas(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    db = Database(url)
    try:
        async with db.session() as session:
            values = [
                (await session.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("busy_timeout", "synchronous", "foreign_keys", "journal_mode")
            ]
    finally:
        await db.close()
    assert values == [30000, 1, 1, "wal"]
