"""Downloading a URL on someone's behalf without becoming an SSRF proxy.

Provider result URLs and user image URLs are the same risk (a forged webhook or a
compromised provider can point us anywhere), so every fetch goes through ``fetch_to_store``:
http(s) only, every address the host resolves to must be public unless the host is on the
caller's trust list (the configured provider endpoints, which may be a local simulator),
redirects are followed by hand and re-checked, and the body is capped in bytes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urljoin, urlsplit

import httpx2

from storyreel.errors import InputError, ProviderAPIError
from storyreel.store.assets import AssetStore

MAX_REDIRECTS = 5


async def check_url(url: str, *, trusted_hosts: Collection[str] = ()) -> None:
    """Raise InputError unless ``url`` is http(s) and points at a public address."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        raise InputError(f"refusing to fetch {parts.scheme or 'scheme-less'} URL: only http(s)")
    host = parts.hostname
    if not host:
        raise InputError(f"refusing to fetch URL without a host: {url[:100]}")
    if host.lower() in trusted_hosts:
        return
    try:
        infos = await asyncio.to_thread(socket.getaddrinfo, host, parts.port or 443)
    except socket.gaierror as exc:
        raise InputError(f"cannot resolve host {host!r}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise InputError(f"refusing to fetch {host!r}: it resolves to internal {address}")


async def fetch_to_store(
    client: httpx2.AsyncClient,
    url: str,
    store: AssetStore,
    *,
    mime: str,
    max_bytes: int,
    trusted_hosts: Collection[str] = (),
) -> tuple[str, int]:
    """Stream ``url`` into the asset store; return (sha256, size)."""
    for _ in range(MAX_REDIRECTS + 1):
        await check_url(url, trusted_hosts=trusted_hosts)
        async with client.stream("GET", url, follow_redirects=False) as response:
            if response.is_redirect:
                url = urljoin(url, response.headers.get("location", ""))
                continue
            if response.status_code >= 400:
                raise ProviderAPIError(
                    f"download failed: HTTP {response.status_code} for {url[:120]}",
                    status=response.status_code,
                    retryable=response.status_code in {408, 429} or response.status_code >= 500,
                )
            writer = store.open_writer(mime)
            try:
                async for chunk in response.aiter_bytes():
                    writer.write(chunk)
                    if writer.size > max_bytes:
                        raise InputError(f"download is larger than {max_bytes} bytes: {url[:120]}")
            except BaseException:
                writer.abort()
                raise
            sha, _ = writer.commit()
            return sha, writer.size
    raise InputError(f"too many redirects fetching {url[:120]}")
