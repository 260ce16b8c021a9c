"""The upload cache: a provider URL is reused until shortly before it expires, never
after, and two processes storing the same upload at once both succeed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from storyreel.store.db import Database, migrate
from storyreel.store.uploads import EXPIRY_MARGIN, UploadCache

SHA = "a" * 64


@pytest.fixture
async def cache(tmp_path: Path) -> AsyncIterator[UploadCache]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    db = Database(url)
    try:
        yield UploadCache(db)
    finally:
        await db.close()


async def test_a_stored_url_is_found_per_provider(cache: UploadCache) -> None:
    assert await cache.get(SHA, "fal") is None
    await cache.put(SHA, "fal", "https://fal.media/x.png", ttl=timedelta(days=7))
    assert await cache.get(SHA, "fal") == "https://fal.media/x.png"
    assert await cache.get(SHA, "replicate") is None
    await cache.put(SHA, "kie", "https://kie/forever.png", ttl=None)
    assert await cache.get(SHA, "kie") == "https://kie/forever.png"


async def test_a_url_about_to_expire_is_not_reused(cache: UploadCache) -> None:
    almost = EXPIRY_MARGIN - timedelta(minutes=1)
    await cache.put(SHA, "fal", "https://fal.media/old.png", ttl=almost)
    assert await cache.get(SHA, "fal") is None
    await cache.put(SHA, "fal", "https://fal.media/new.png", ttl=EXPIRY_MARGIN * 2)
    assert await cache.get(SHA, "fal") == "https://fal.media/new.png"


async def test_concurrent_puts_of_one_upload_both_succeed(cache: UploadCache) -> None:
    await asyncio.gather(
        *(cache.put(SHA, "fal", f"https://fal.media/{i}.png", ttl=None) for i in range(8))
    )
    assert (await cache.get(SHA, "fal") or "").startswith("https://fal.media/")


async def test_a_url_this_process_knows_is_answered_without_the_database(
    cache: UploadCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cache.put(SHA, "fal", "https://fal.media/x.png", ttl=timedelta(days=7))
    other = UploadCache(cache.db)  # another process: knows nothing yet
    assert await other.get(SHA, "fal") == "https://fal.media/x.png"

    def no_database() -> None:
        raise AssertionError("asked the database again")

    monkeypatch.setattr(cache.db, "session", no_database)
    monkeypatch.setattr(cache.db, "read", no_database)
    for known in (cache, other):
        assert await known.get(SHA, "fal") == "https://fal.media/x.png"


async def test_a_known_url_expires_in_memory_too(cache: UploadCache) -> None:
    await cache.put(
        SHA, "fal", "https://fal.media/x.png", ttl=EXPIRY_MARGIN + timedelta(seconds=0.3)
    )
    assert await cache.get(SHA, "fal") == "https://fal.media/x.png"
    await asyncio.sleep(0.4)
    assert await cache.get(SHA, "fal") is None
