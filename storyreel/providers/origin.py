"""Origins: the one answer to "is this URL on that API?".

A provider's answers carry URLs (fal's ``status_url``, ModelsLab's ``fetch_result``,
Gemini's file ``uri``). Our key may only travel to the provider's own API, so every such URL
is compared with the provider's origins before anything is attached: scheme, host and port,
never the host alone (a simulator on 127.0.0.1:8000 must not vouch for a database on
127.0.0.1:5432). URLs are parsed with httpx2's parser, the one the client uses, so the URL
we check is the URL we fetch; userinfo (``http://queue.fal.run@evil.example/``) is refused
outright because nothing legitimate needs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import httpx2

DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    """``scheme://host:port``, normalised: lower case, no trailing dot, explicit port."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


class BadURL(ValueError):
    """A URL we refuse to fetch at all: not http(s), no host, or userinfo."""


def parse_url(url: str) -> httpx2.URL:
    """``url`` parsed as the HTTP client will parse it, or BadURL."""
    try:
        parsed = httpx2.URL(url)
    except (httpx2.InvalidURL, TypeError, ValueError) as exc:
        raise BadURL(f"not a valid URL: {url[:100]!r}") from exc
    if parsed.scheme not in DEFAULT_PORTS:
        raise BadURL(f"only http(s) URLs are fetched, not {parsed.scheme or 'scheme-less'!r}")
    if not parsed.host:
        raise BadURL(f"URL without a host: {url[:100]!r}")
    if parsed.userinfo:
        raise BadURL(f"URL with user info: {url[:100]!r}")
    return parsed


def origin_of(url: str | httpx2.URL) -> Origin:
    """The origin of an absolute http(s) URL; BadURL for anything else."""
    parsed = parse_url(str(url))
    host = parsed.host.lower().rstrip(".")
    return Origin(parsed.scheme, host, parsed.port or DEFAULT_PORTS[parsed.scheme])


def origins(urls: Iterable[str | Origin]) -> frozenset[Origin]:
    """Origins of base URLs (or origins already), skipping empty entries."""
    out = set()
    for item in urls:
        if isinstance(item, Origin):
            out.add(item)
        elif item:
            out.add(origin_of(item))
    return frozenset(out)


def on_origin(url: str | httpx2.URL, allowed: Iterable[str | Origin]) -> bool:
    """Whether ``url`` is on one of the ``allowed`` origins (base URLs or Origins).
    A URL that does not parse, or has userinfo, is on no origin."""
    try:
        return origin_of(url) in origins(allowed)
    except BadURL:
        return False
