"""Which database errors are waited out: classified on errors real drivers raise."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from storyreel.store.transient import describe, is_transient


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sqlite_locked_is_transient_and_a_syntax_error_is_not(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path)
    holder.execute("CREATE TABLE t (x)")
    holder.commit()
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError) as locked:
            other.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.OperationalError) as syntax:
            other.execute("SELEC nothing")
    finally:
        other.close()
        holder.close()
    assert is_transient(locked.value)
    assert not is_transient(syntax.value)


async def test_postgres_unreachable_is_transient_through_sqlalchemy() -> None:
    engine = create_async_engine(f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/x")
    try:
        with pytest.raises(DBAPIError) as refused:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert is_transient(refused.value)
    assert "\n" not in describe(refused.value)
    # Wrapped by a caller, it is still recognised.
    try:
        raise RuntimeError("step failed") from refused.value
    except RuntimeError as wrapped:
        assert is_transient(wrapped)


@pytest.mark.postgres
def test_postgres_answers_that_are_not_blips(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE u (x int PRIMARY KEY)")
        conn.execute("INSERT INTO u VALUES (1)")
        with pytest.raises(psycopg.IntegrityError) as duplicate:
            conn.execute("INSERT INTO u VALUES (1)")
        conn.execute("SET statement_timeout = 50")
        with pytest.raises(psycopg.errors.QueryCanceled) as cancelled:
            conn.execute("SELECT pg_sleep(1)")
    assert not is_transient(duplicate.value)
    assert not is_transient(cancelled.value)
    assert not is_transient(ValueError("database is locked"))
