"""Downloading a provider's output into the asset store without becoming an SSRF proxy.

Provider result URLs and user image URLs are the same risk (a forged webhook or a
compromised provider can point us anywhere), so every fetch goes through the guard in
``storyreel.providers.guard``: http(s) only, the name resolved once and every address public
unless the URL is on one of the caller's trusted origins (the configured provider endpoint,
exact scheme, host and port, which may be a local simulator), the connection pinned to the
checked address, redirects followed by hand and re-checked, and the body capped in bytes.
"""

from __future__ import annotations

from collections.abc import Collection

import httpx2

from storyreel.errors import InputError, ProviderAPIError, retryable_status
from storyreel.providers.guard import Guard, Resolver
from storyreel.providers.origin import Origin
from storyreel.store.assets import AssetStore


async def check_url(
    url: str,
    *,
    trusted_origins: Collection[str | Origin] = (),
    resolver: Resolver | None = None,
) -> None:
    """Raise InputError unless ``url`` is http(s) and on a trusted origin or public."""
    await Guard(trusted_origins, resolver).pin(url)


async def fetch_to_store(
    client: httpx2.AsyncClient,
    url: str,
    store: AssetStore,
    *,
    mime: str,
    max_bytes: int,
    trusted_origins: Collection[str | Origin] = (),
    resolver: Resolver | None = None,
) -> tuple[str, int]:
    """Stream ``url`` into the asset store, never with credentials; return (sha256, size)."""
    async with Guard(trusted_origins, resolver).stream(client, url) as response:
        if response.status_code >= 400:
            raise ProviderAPIError(
                f"download failed: HTTP {response.status_code} for {url[:120]}",
                status=response.status_code,
                retryable=retryable_status(response.status_code),
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
