"""Fetching a URL someone else handed us without becoming an SSRF proxy.

Provider outputs live on CDNs we cannot list in advance, and a compromised provider or a
forged webhook can hand us any URL. So a URL off the trusted origins is fetched like this:

- http(s) only, no userinfo, no ambiguous numeric hosts (``2130706433``, ``0x7f.1``,
  ``127.1``: resolvers read them as 127.0.0.1, people do not);
- the name is resolved ONCE, every answer must be a public address (no private, loopback,
  link-local, multicast, reserved or unspecified address, also not inside an IPv4-mapped or
  6to4 IPv6 address);
- the connection goes to that address, PINNED: the request URL carries the IP, the ``Host``
  header and the TLS SNI (which the certificate is checked against) carry the name. The
  HTTP client never resolves the name again, so a DNS answer that changes between our check
  and the connect (rebinding) cannot move us onto an internal address;
- redirects are followed by hand, each hop checked and pinned the same way.

A trusted origin (exact scheme, host and port: the configured provider endpoint, which may
be a simulator on 127.0.0.1) is fetched directly. Every other port of that host is not.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx2

from storyreel.errors import InputError

from .origin import BadURL, Origin, origin_of, origins, parse_url

MAX_REDIRECTS = 5

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``(host, port) -> addresses``; injectable so tests can play a rebinding DNS server.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


class URLRefused(InputError):
    """A URL we will not fetch: internal address, odd host, wrong scheme."""


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is a public unicast address, looking inside IPv6 wrappers."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None and not is_public(inner):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` spells, None for a name; URLRefused for numeric forms that
    are not canonical dotted quads (decimal, octal, hex, shortened) and for zone ids."""
    if ":" in host:
        if "%" in host:
            raise URLRefused(f"refusing IPv6 address with a zone id: {host!r}")
        return ipaddress.IPv6Address(host)
    try:
        return ipaddress.IPv4Address(host)
    except ValueError:
        pass
    if all(_NUMERIC_LABEL.match(label) for label in host.rstrip(".").split(".")):
        raise URLRefused(f"refusing ambiguous numeric host {host!r}")
    return None


@dataclass(frozen=True)
class Pinned:
    """What to send for one hop: the URL to connect to, and the headers and extensions
    that keep the original name for HTTP and TLS."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


class Guard:
    """Checks and pins URLs; ``trusted`` are origins (or base URLs) fetched directly."""

    def __init__(
        self, trusted: Iterable[str | Origin] = (), resolver: Resolver | None = None
    ) -> None:
        self.trusted = origins(trusted)
        self.resolver = resolver or system_resolver

    async def pin(self, url: str) -> Pinned:
        """Check ``url`` and say how to connect to it; URLRefused if we must not."""
        try:
            parsed = parse_url(url)
            origin = origin_of(parsed)
        except BadURL as exc:
            raise URLRefused(f"refusing to fetch: {exc}") from exc
        if origin in self.trusted:
            return Pinned(url)
        literal = literal_address(origin.host)
        if literal is not None:
            if not is_public(literal):
                raise URLRefused(f"refusing to fetch {origin.host!r}: internal address")
            return Pinned(url)
        try:
            answers = await self.resolver(origin.host, origin.port)
        except OSError as exc:
            raise URLRefused(f"cannot resolve host {origin.host!r}: {exc}") from exc
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
        if not addresses:
            raise URLRefused(f"cannot resolve host {origin.host!r}: no address")
        for address in addresses:
            if not is_public(address):
                raise URLRefused(
                    f"refusing to fetch {origin.host!r}: it resolves to internal {address}"
                )
        host_header = parsed.host if parsed.port is None else f"{parsed.host}:{parsed.port}"
        extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
        target = parsed.copy_with(host=str(addresses[0]))
        return Pinned(str(target), {"Host": host_header}, extensions)

    @asynccontextmanager
    async def stream(
        self,
        client: httpx2.AsyncClient,
        url: str,
        *,
        credentials: Callable[[str], dict[str, str]] | None = None,
        max_redirects: int = MAX_REDIRECTS,
    ) -> AsyncIterator[httpx2.Response]:
        """GET ``url`` as a streamed response, following redirects by hand and checking
        each hop. ``credentials(url)`` gives headers for a hop (only the caller knows which
        origins may see its key); hops off the trusted origins are always pinned."""
        for _ in range(max_redirects + 1):
            pinned = await self.pin(url)
            headers = (credentials(url) if credentials else {}) | pinned.headers
            request = client.build_request(
                "GET", pinned.url, headers=headers, extensions=pinned.extensions
            )
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("location", ""))
                    continue
                yield response
                return
            finally:
                await response.aclose()
        raise URLRefused(f"too many redirects fetching {url[:120]}")
