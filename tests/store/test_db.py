"""The app database under cancellation (a stopping engine cancels its workflows mid-query)
and through database blips (a TCP proxy cuts PostgreSQL off for a moment)."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from storyreel.store.db import Database, migrate
from storyreel.store.models import Executor
from storyreel.store.transient import is_transient
from storyreel.testing.tcp_proxy import TcpProxy


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


def _through(proxy: TcpProxy, postgres_url: str) -> str:
    return (
        make_url(postgres_url)
        .set(drivername="postgresql+psycopg", host="127.0.0.1", port=proxy.port)
        .render_as_string(hide_password=False)
    )


@pytest.mark.postgres
async def test_a_transaction_cut_half_way_is_retried_whole_and_applied_once(
    postgres_url: str,
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE ledger (n int)")
    attempts = 0

    async def work(session: AsyncSession) -> int:
        nonlocal attempts
        attempts += 1
        await session.execute(text("INSERT INTO ledger VALUES (1)"))
        if attempts == 1:
            await proxy.cut(1.0)  # the server restarts between two statements
        await session.execute(text("INSERT INTO ledger VALUES (2)"))
        return attempts

    async with TcpProxy("127.0.0.1", make_url(postgres_url).port or 5432) as proxy:
        db = Database(_through(proxy, postgres_url), retry_seconds=30)
        try:
            assert await db.transaction(work) == 2
        finally:
            await db.close()
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute("SELECT n FROM ledger ORDER BY n").fetchall()
    assert rows == [(1,), (2,)], "applied exactly once, never half"


@pytest.mark.postgres
async def test_a_session_opened_while_the_database_is_away_waits_for_it(
    postgres_url: str,
) -> None:
    async with TcpProxy("127.0.0.1", make_url(postgres_url).port or 5432) as proxy:
        db = Database(_through(proxy, postgres_url), retry_seconds=30)
        try:
            await proxy.cut(1.5)
            started = time.monotonic()
            async with db.session() as session:
                assert (await session.execute(text("SELECT 7"))).scalar() == 7
            assert time.monotonic() - started >= 1.0
            assert proxy.refused >= 1
        finally:
            await db.close()


@pytest.mark.postgres
async def test_a_session_gives_up_after_the_retry_time(postgres_url: str) -> None:
    async with TcpProxy("127.0.0.1", make_url(postgres_url).port or 5432) as proxy:
        db = Database(_through(proxy, postgres_url), retry_seconds=1.0)
        try:
            await proxy.cut(30)
            started = time.monotonic()
            with pytest.raises(DBAPIError) as lost:
                async with db.session():
                    pass
            assert time.monotonic() - started < 5
            assert is_transient(lost.value)
        finally:
            await db.close()


async def test_transactions_reuse_pooled_connections(tmp_path: Path) -> None:
    """A pool per event loop: 50 transactions open a handful of SQLite connections (each
    with its thread), not 50, and close() still ends every thread."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    before = _sqlite_threads()
    db = Database(url)
    opened: set[threading.Thread] = set()
    for _ in range(50):
        async with db.session() as session:
            await session.execute(text("SELECT count(*) FROM jobs"))
        opened |= _sqlite_threads() - before
    await db.close()
    assert 1 <= len(opened) <= 2, len(opened)
    assert _sqlite_threads() - before == set()


async def test_sqlite_sessions_take_turns_on_a_loop_and_nest(tmp_path: Path) -> None:
    """Sixteen writers at once on one loop: one transaction at a time, each next one
    woken as the last ends (not left napping in SQLite's busy handler); a session opened
    inside a session, and a task started inside one, still run at once."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    db = Database(url)
    open_now = 0
    most = 0

    async def writer(i: int) -> None:
        nonlocal open_now, most
        async with db.session() as session:
            open_now += 1
            most = max(most, open_now)
            await session.execute(
                text(
                    "INSERT INTO executors (id, host, pid, started_at, heartbeat_at)"
                    " VALUES (:id, 'h', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": f"e{i}"},
            )
            await asyncio.sleep(0.01)
            open_now -= 1

    async def nested() -> int:
        async with db.session() as outer:
            await outer.execute(text("SELECT 1"))
            async with db.session() as inner:
                inner_count = (await inner.execute(text("SELECT count(*) FROM jobs"))).scalar()
            child = asyncio.create_task(_count(db))
            return int(inner_count or 0) + await child

    try:
        await asyncio.gather(*(writer(i) for i in range(16)))
        assert most == 1
        assert await asyncio.wait_for(nested(), timeout=10) == 0
    finally:
        await db.close()


async def _count(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(text("SELECT count(*) FROM jobs"))).scalar() or 0)


async def test_a_read_does_not_wait_for_a_writers_turn(tmp_path: Path) -> None:
    """While a writer holds the loop's turn (and SQLite's write lock), a read runs at once
    and sees the last committed state; what it loaded stays readable after the block, and
    a read that changes something is refused rather than dropped."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    db = Database(url)
    insert = text(
        "INSERT INTO executors (id, host, pid, started_at, heartbeat_at)"
        " VALUES (:id, 'h', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    holding = asyncio.Event()
    release = asyncio.Event()

    async def slow_writer() -> None:
        async with db.session() as session:
            await session.execute(insert, {"id": "pending"})
            holding.set()
            await release.wait()

    try:
        async with db.session() as session:
            await session.execute(insert, {"id": "committed"})
        writer = asyncio.create_task(slow_writer())
        await holding.wait()
        async with asyncio.timeout(5):
            async with db.read() as session:
                rows = (await session.execute(text("SELECT id FROM executors"))).scalars().all()
                executor = await session.get(Executor, "committed")
        assert rows == ["committed"]
        assert executor is not None and executor.host == "h", "loaded rows stay readable"
        release.set()
        await writer
        with pytest.raises(RuntimeError, match="for reads"):
            async with db.read() as session:
                session.add(Executor(id="sneaky", host="h", pid=1))
        async with db.read() as session:
            assert await session.get(Executor, "sneaky") is None
    finally:
        release.set()
        await db.close()
