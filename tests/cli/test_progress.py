"""The progress display is a bystander: a database blip or a bug in it never ends a run."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy.engine import make_url

from storyreel.cli.progress import make_progress, watch_story
from storyreel.config import Settings
from storyreel.store.db import Database, migrate
from storyreel.testing.tcp_proxy import TcpProxy


def _runtime(db: Database) -> SimpleNamespace:
    """What the watcher uses of a Runtime: the store and the settings."""
    return SimpleNamespace(db=db, settings=Settings())


def _progress() -> tuple[Any, io.StringIO]:
    progress = make_progress()
    out = io.StringIO()
    progress.live.console = Console(file=out, width=120)
    return progress, out


@pytest.mark.postgres
async def test_the_watcher_waits_out_a_database_cut_and_carries_on(postgres_url: str) -> None:
    migrate(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    target = make_url(postgres_url)
    async with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = target.set(drivername="postgresql+psycopg", port=proxy.port)
        db = Database(url.render_as_string(hide_password=False))
        progress, out = _progress()
        watcher = asyncio.create_task(
            watch_story(_runtime(db), "no-project", progress=progress)  # type: ignore[arg-type]
        )
        try:
            await asyncio.sleep(0.5)
            await proxy.cut(1.5)
            await asyncio.sleep(3.0)
            assert not watcher.done(), watcher
            forwarded = proxy.forwarded
            await asyncio.sleep(0.6)
            assert proxy.forwarded > forwarded, "the watcher stopped reading after the cut"
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            await db.close()
    text = out.getvalue()
    assert "waiting for the database" in text
    assert "database is back" in text
    assert "Traceback" not in text


async def test_a_watcher_error_stops_the_display_and_raises_nothing(tmp_path: Path) -> None:
    # A store without the tables (a bug, a wrong URL): a real error, not a blip.
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    progress, out = _progress()
    try:
        await asyncio.wait_for(
            watch_story(_runtime(db), "p", progress=progress),  # type: ignore[arg-type]
            timeout=10,
        )
    finally:
        await db.close()
    assert "Traceback" not in out.getvalue()
