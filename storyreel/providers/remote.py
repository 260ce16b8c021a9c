"""Base for providers reached over HTTP: one httpx2 client each, one error mapping.

Everything that is the same for every remote API lives here: auth from settings, turning a
transport failure or an HTTP error status into ``ProviderAPIError`` (retryable or not, with
``Retry-After``), and turning a reference image into something the provider can read (an
upload through the SHA-256 upload cache, or an inline data URI). Each provider module only
says what differs: its URLs, its body fields, its error body shape.

The key only ever travels to the provider's own API origins (``api_origins``: scheme, host
and port of base_url, plus the few hosts a provider documents in ``api_urls``). A URL the
provider hands back (fal's ``status_url``, ModelsLab's ``fetch_result``) that points
anywhere else is refused before a header is built; a download that redirects off the API
(Gemini files to a CDN) continues without credentials through the SSRF guard.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import time
import weakref
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx2

from storyreel.errors import (
    FailureReason,
    ProviderAPIError,
    QuotaError,
    reason_for_status,
    retryable_status,
)
from storyreel.providers.base import Provider, ProviderContext
from storyreel.providers.guard import Guard, Resolver, URLRefused
from storyreel.providers.origin import Origin, on_origin, origins
from storyreel.vocabulary import Reference

MAX_DOWNLOAD_BYTES = 2 * 1024**3
TIMEOUT = httpx2.Timeout(30.0, connect=10.0, read=120.0)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def json_or_none(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


class RemoteProvider(Provider):
    """Subclasses set ``default_base_url`` and implement ``auth_headers``."""

    default_base_url: ClassVar[str]
    #: How long an uploaded file stays readable; None: this provider takes no uploads and
    #: references are sent inline (``reference_data_uri``).
    upload_ttl: ClassVar[timedelta | None] = None
    #: How the SSRF guard resolves names for downloads off the API; None: the system's.
    #: Tests put a scripted resolver here.
    resolver: Resolver | None = None

    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        self.base_url = (ctx.settings.base_url or self.default_base_url).rstrip("/")
        # One client per event loop: DBOS runs workflow steps on its own loop, and an
        # httpx2 client must only be used (and closed) on the loop that created it.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx2.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()
        self._upload_locks: dict[str, asyncio.Lock] = {}

    @property
    def api_key(self) -> str:
        return self.ctx.settings.require_key(self.name)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def available(self) -> bool:
        key = self.ctx.settings.api_key
        return key is not None and bool(key.get_secret_value())

    @property
    def client(self) -> httpx2.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = httpx2.AsyncClient(timeout=TIMEOUT, follow_redirects=False)
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()
        # Clients of other loops (DBOS's, already stopped) go with their loop.
        self._clients.clear()

    def url(self, path: str) -> str:
        """An absolute URL: ``path`` as given if it already is one, else under base_url."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def api_urls(self) -> list[str]:
        """Base URLs of this provider's own APIs, the only places its key may go. A
        provider with more than one API host (fal: queue and REST) adds them here."""
        return [self.base_url]

    @property
    def api_origins(self) -> frozenset[Origin]:
        return origins(self.api_urls())

    def api_url(self, path: str) -> str:
        """``url(path)``, refused unless it is on one of ``api_origins``: a status or
        result URL from the provider pointing elsewhere never gets our key."""
        url = self.url(path)
        if not on_origin(url, self.api_origins):
            raise ProviderAPIError(
                f"{self.name}: refusing to send credentials to {url[:120]!r}: not on the "
                f"provider's API ({', '.join(sorted(map(str, self.api_origins)))})",
                provider=self.name,
                retryable=False,
                reason=FailureReason.UNKNOWN,
            )
        return url

    async def call(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx2.Response:
        """One HTTP request; any failure becomes a ProviderAPIError (never retried here:
        the engine's retry policy decides, so attempts never multiply)."""
        url = self.api_url(path) if auth else self.url(path)
        merged = (self.auth_headers() if auth else {}) | (headers or {})
        try:
            response = await self.client.request(method, url, headers=merged, **kwargs)
        except httpx2.TimeoutException as exc:
            raise ProviderAPIError(
                f"{self.name}: {method} timed out",
                provider=self.name,
                retryable=True,
                reason=FailureReason.PROVIDER_DOWN,
                code="transport_timeout",
            ) from exc
        except httpx2.TransportError as exc:
            raise ProviderAPIError(
                f"{self.name}: {method} failed: {exc}", provider=self.name, retryable=True
            ) from exc
        if response.status_code >= 400:
            raise self.error_from_response(response)
        return response

    def error_message(self, response: httpx2.Response) -> str:
        """The human part of an error body. Providers override for their shapes."""
        body = json_or_none(response)
        if isinstance(body, dict):
            for key in ("detail", "message", "error", "msg", "title"):
                value = body.get(key)
                if isinstance(value, dict):
                    value = value.get("message") or json.dumps(value)
                if value:
                    return value if isinstance(value, str) else json.dumps(value)
        return response.text[:300] or response.reason_phrase

    def error_from_response(self, response: httpx2.Response) -> ProviderAPIError:
        """The error for an HTTP error answer, its reason from the status alone. Providers
        override this to read their error bodies' codes into a more precise reason."""
        status = response.status_code
        message = f"{self.name}: HTTP {status}: {self.error_message(response)}"
        if status == 402:
            return QuotaError(message, provider=self.name, status=status)
        body = json_or_none(response)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if retry_after is None and isinstance(body, dict):
            raw = body.get("retry_after")
            retry_after = float(raw) if isinstance(raw, int | float) else None
        return ProviderAPIError(
            message,
            provider=self.name,
            status=status,
            retryable=retryable_status(status),
            retry_after=retry_after,
            reason=reason_for_status(status),
        )

    async def download_to(self, url: str, target: Path) -> None:
        """Stream a download (Sora content, Veo files) into ``target``: the key sent only
        to the provider's API origins, any other hop fetched without credentials through
        the SSRF guard (pinned to a public address), size capped, written to a ``.part``
        file first so a crash never leaves half a video in place."""
        url = self.url(url)
        guard = Guard(self.api_origins, self.resolver)

        def credentials(hop: str) -> dict[str, str]:
            return self.auth_headers() if on_origin(hop, self.api_origins) else {}

        try:
            async with guard.stream(self.client, url, credentials=credentials) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise self.error_from_response(response)
                await self._save_stream(response, target)
        except URLRefused as exc:
            raise ProviderAPIError(
                f"{self.name}: download refused: {exc}", provider=self.name, retryable=False
            ) from exc
        except httpx2.TransportError as exc:
            raise ProviderAPIError(
                f"{self.name}: download failed: {exc}", provider=self.name, retryable=True
            ) from exc

    async def _save_stream(self, response: httpx2.Response, target: Path) -> None:
        partial = target.with_name(target.name + ".part")
        size = 0
        with partial.open("wb") as out:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise ProviderAPIError(
                        f"{self.name}: download larger than 2 GiB", provider=self.name
                    )
                out.write(chunk)
        partial.replace(target)

    # -- references -----------------------------------------------------------------

    def reference_bytes(self, ref: Reference) -> bytes:
        return self.ctx.assets.read(ref.asset, ref.mime)

    def reference_data_uri(self, ref: Reference) -> str:
        encoded = base64.b64encode(self.reference_bytes(ref)).decode()
        return f"data:{ref.mime};base64,{encoded}"

    async def reference_url(self, ref: Reference) -> str:
        """A URL the provider can fetch: uploaded once per file and provider, re-uploaded
        only after the cached URL expired."""
        # Jobs of one story start together and share references: one upload per file.
        async with self._upload_locks.setdefault(ref.asset, asyncio.Lock()):
            cache = self.ctx.uploads
            if cache is not None and (cached := await cache.get(ref.asset, self.name)):
                return cached
            url = await self.upload(self.reference_bytes(ref), ref.mime)
            if cache is not None:
                await cache.put(ref.asset, self.name, url, ttl=self.upload_ttl)
            return url
