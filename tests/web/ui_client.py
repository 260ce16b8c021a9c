"""An in-process client for the UI's routes (no browser): the API app on a real engine."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import api_settings, running_api


@asynccontextmanager
async def ui_client(tmp_path: Path, **api: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with running_api(api_settings(tmp_path, **api)) as (client, _state):
        client.headers["accept"] = "text/html"
        yield client


def csrf_from(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)
