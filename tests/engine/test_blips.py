"""A step under ``survives_db_blips`` runs again, whole, after a transient database error;
any other error fails it at once; past the retry time it reports the database lost and
waits to be cancelled (so its workflow resumes on the next run), and with nobody
listening it raises instead."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from storyreel.engine import blips
from storyreel.engine.blips import survives_db_blips
from storyreel.store.transient import set_on_lost


def locked() -> sqlite3.OperationalError:
    return sqlite3.OperationalError("database is locked")


@pytest.fixture
def retry_seconds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    seconds = [5.0]
    monkeypatch.setattr(
        blips,
        "runtime",
        lambda: SimpleNamespace(settings=SimpleNamespace(database_retry_seconds=seconds[0])),
    )
    set_on_lost(None)
    yield seconds
    set_on_lost(None)


def test_a_blip_reruns_the_whole_step(retry_seconds: list[float]) -> None:
    calls: list[int] = []

    @survives_db_blips
    async def step(value: int) -> int:
        calls.append(value)
        if len(calls) < 3:
            raise locked()
        return value * 2

    assert asyncio.run(step(21)) == 42
    assert calls == [21, 21, 21]
    assert step.__name__ == "step"


def test_any_other_error_fails_at_once(retry_seconds: list[float]) -> None:
    calls = 0

    @survives_db_blips
    async def step() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("a real bug")

    with pytest.raises(ValueError, match="a real bug"):
        asyncio.run(step())
    assert calls == 1


def test_with_nobody_listening_a_lost_database_raises(retry_seconds: list[float]) -> None:
    retry_seconds[0] = 0.0

    @survives_db_blips
    async def step() -> None:
        raise locked()

    with pytest.raises(sqlite3.OperationalError, match="locked"):
        asyncio.run(step())


def test_a_lost_database_is_reported_and_the_step_waits_to_be_cancelled(
    retry_seconds: list[float],
) -> None:
    retry_seconds[0] = 0.0
    lost: list[BaseException] = []
    set_on_lost(lost.append)

    @survives_db_blips
    async def step() -> None:
        raise locked()

    async def go() -> None:
        task = asyncio.create_task(step())
        for _ in range(200):
            if lost:
                break
            await asyncio.sleep(0.01)
        assert not task.done()  # not failed: waiting
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    assert len(lost) == 1 and isinstance(lost[0], sqlite3.OperationalError)
