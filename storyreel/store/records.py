"""Small helpers for rows every layer writes the same way."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storyreel.media.images import inspect_image, make_thumbnail
from storyreel.store.assets import AssetStore
from storyreel.store.models import Asset


async def add_asset(session: AsyncSession, info: dict[str, Any]) -> None:
    """Insert an asset row unless the same bytes are already registered."""
    if await session.get(Asset, info["sha256"]) is None:
        session.add(Asset(**info))


def store_image(assets: AssetStore, data: bytes, mime: str) -> dict[str, Any]:
    """Put an image and its 150 px thumbnail in the store; describe it for an Asset row."""
    image = inspect_image(data, max_bytes=len(data) + 1, max_pixels=10**9)
    sha, _ = assets.put(data, mime)
    thumb_sha, _ = assets.put(make_thumbnail(data), "image/jpeg")
    return {
        "sha256": sha,
        "mime": mime,
        "size": len(data),
        "width": image.width,
        "height": image.height,
        "thumbnail_sha256": thumb_sha,
    }
