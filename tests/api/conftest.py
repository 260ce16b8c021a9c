"""An API app on a real engine (SQLite), called in-process through httpx's ASGI
transport; image URLs "on the internet" are served by a mock transport behind a resolver
that answers with a public address, so the SSRF guard runs exactly as in production."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from PIL import Image

from storyreel.api import create_app
from storyreel.api.app import _open_state
from storyreel.api.state import ApiState
from storyreel.config import ApiSettings, Settings

PUBLIC_IP = "93.184.215.14"


def png(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


async def public_resolver(host: str, port: int) -> list[str]:
    return [PUBLIC_IP]


def internet(request: httpx2.Request) -> httpx2.Response:
    """The outside world as the tests know it: every image URL is a small PNG."""
    return httpx2.Response(200, content=png("blue"), headers={"content-type": "image/png"})


def api_settings(tmp_path: Path, **api: Any) -> Settings:
    extra = api.pop("settings", {})
    return Settings(
        data_dir=tmp_path / "data",
        poll_interval=0.05,
        poll_interval_max=0.2,
        queue_poll_interval=0.05,
        retry_base_delay=0.01,
        api=ApiSettings(**({"wait_seconds": 60.0} | api)),
        **extra,
    )


@asynccontextmanager
async def running_api(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, ApiState]]:
    async with _open_state(settings) as state:
        await state.http.aclose()
        state.http = httpx2.AsyncClient(transport=httpx2.MockTransport(internet))
        state.resolver = public_resolver
        app = create_app(settings, state=state)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield client, state


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with running_api(api_settings(tmp_path)) as (client, _state):
        yield client
