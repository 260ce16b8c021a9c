"""Fetching on someone's behalf: only public http(s), re-checked on every redirect."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from storyreel.engine.fetch import check_url, fetch_to_store
from storyreel.errors import InputError, ProviderAPIError
from storyreel.store.assets import AssetStore


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://example.com/",
        "ftp://example.com/x",
        "http://127.0.0.1:5432/",
        "http://localhost:6379/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://0.0.0.0:8000/admin",
        "http:///nohost",
    ],
)
async def test_internal_and_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(InputError, match=r"refusing|cannot resolve"):
        await check_url(url)


async def test_trusted_simulator_origin_is_allowed_and_no_other_port() -> None:
    trusted = {"http://127.0.0.1:9000/fal"}
    await check_url("http://127.0.0.1:9000/out.png", trusted_origins=trusted)
    with pytest.raises(InputError, match="refusing"):
        await check_url("http://127.0.0.1:5432/", trusted_origins=trusted)


def transport(routes: dict[str, httpx2.Response]) -> httpx2.MockTransport:
    return httpx2.MockTransport(lambda request: routes[str(request.url)])


async def test_redirect_to_an_internal_address_is_refused(tmp_path: Path) -> None:
    routes = {
        "http://127.0.0.1/a.png": httpx2.Response(
            302, headers={"location": "http://10.1.2.3/secret"}
        )
    }
    async with httpx2.AsyncClient(transport=transport(routes)) as client:
        with pytest.raises(InputError, match="internal"):
            await fetch_to_store(
                client,
                "http://127.0.0.1/a.png",
                AssetStore(tmp_path),
                mime="image/png",
                max_bytes=1000,
                trusted_origins={"http://127.0.0.1"},
            )


async def test_download_is_streamed_capped_and_mapped(tmp_path: Path) -> None:
    store = AssetStore(tmp_path)
    routes = {
        "http://127.0.0.1/ok.png": httpx2.Response(200, content=b"x" * 100),
        "http://127.0.0.1/big.png": httpx2.Response(200, content=b"x" * 5000),
        "http://127.0.0.1/gone.png": httpx2.Response(404),
        "http://127.0.0.1/busy.png": httpx2.Response(503),
    }
    async with httpx2.AsyncClient(transport=transport(routes)) as client:
        fetch = lambda url: fetch_to_store(  # noqa: E731
            client,
            url,
            store,
            mime="image/png",
            max_bytes=1000,
            trusted_origins={"http://127.0.0.1"},
        )
        sha, size = await fetch("http://127.0.0.1/ok.png")
        assert size == 100 and store.read(sha, "image/png") == b"x" * 100
        with pytest.raises(InputError, match="larger than"):
            await fetch("http://127.0.0.1/big.png")
        with pytest.raises(ProviderAPIError) as gone:
            await fetch("http://127.0.0.1/gone.png")
        assert not gone.value.retryable
        with pytest.raises(ProviderAPIError) as busy:
            await fetch("http://127.0.0.1/busy.png")
        assert busy.value.retryable
    assert list((tmp_path / "incoming").iterdir()) == []
