"""Asset rows every layer writes the same way: an image stored with its thumbnail, and a
second registration of the same bytes adding no second row."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from storyreel.errors import InputError
from storyreel.media.images import image_to_png
from storyreel.store.assets import AssetStore
from storyreel.store.db import Database, migrate
from storyreel.store.models import Asset
from storyreel.store.records import add_asset, store_image


def _png(width: int, height: int) -> bytes:
    return image_to_png(Image.new("RGB", (width, height), (200, 40, 40)))


async def test_an_image_is_stored_with_its_thumbnail_once(tmp_path: Path) -> None:
    assets = AssetStore(tmp_path / "assets")
    info = store_image(assets, _png(640, 320), "image/png")
    assert (info["width"], info["height"], info["mime"]) == (640, 320, "image/png")
    with Image.open(assets.path(info["thumbnail_sha256"], "image/jpeg")) as thumb:
        assert max(thumb.size) <= 150
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    db = Database(url)
    try:
        for _ in range(2):
            async with db.session() as session:
                await add_asset(session, info)
        async with db.session() as session:
            count = (await session.execute(select(func.count()).select_from(Asset))).scalar()
        assert count == 1
    finally:
        await db.close()


def test_bytes_that_are_not_an_image_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        store_image(AssetStore(tmp_path / "assets"), b"not an image", "image/png")
