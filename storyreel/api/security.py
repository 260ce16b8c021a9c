"""API keys: bearer tokens, stored only as SHA-256 digests.

Keys are random 256-bit tokens made by ``storyreel serve --new-key``, so a plain SHA-256
is enough at rest (a password hash's slowness protects guessable secrets; these are not).
Digests come from the ``api.key_hashes`` setting and from ``api_keys.txt`` in the data
dir. A server bound beyond loopback refuses to start without one: an open generation API
on a network spends its owner's money.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from pathlib import Path

from fastapi import Request

from storyreel.config import Settings
from storyreel.errors import ConfigError, Unauthorized

KEY_FILE = "api_keys.txt"
KEY_PREFIX = "sr-"
# The web UI's sign-in cookie (storyreel.web.auth): it holds a key, accepted for reads only
# (media and thumbnails in <img> and <video> tags cannot send a bearer header).
UI_KEY_COOKIE = "sr_key"
READ_METHODS = frozenset({"GET", "HEAD"})


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_file(settings: Settings) -> Path:
    return settings.data_path / KEY_FILE


def new_key(settings: Settings) -> str:
    """Make a key, append its digest to the key file, and return the key (shown once)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    path = key_file(settings)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(hash_key(key) + "\n")
    path.chmod(0o600)
    return key


def known_hashes(settings: Settings) -> frozenset[str]:
    hashes = {h.strip().lower() for h in settings.api.key_hashes if h.strip()}
    path = key_file(settings)
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        hashes |= {line.strip().lower() for line in lines if line.strip()}
    return frozenset(hashes)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_can_serve(settings: Settings, host: str) -> None:
    """Refuse to bind a non-loopback address with no API key configured."""
    if not is_loopback(host) and not known_hashes(settings):
        raise ConfigError(
            f"refusing to serve on {host} without an API key: run `storyreel serve --new-key` "
            "(or set STORYREEL_API__KEY_HASHES), or bind 127.0.0.1"
        )


class KeyCheck:
    """The dependency every protected route has: a bearer key whose digest is known.
    With no key configured (loopback only, see ``check_can_serve``) everything is open."""

    def __init__(self, hashes: frozenset[str]) -> None:
        self.hashes = hashes

    async def __call__(self, request: Request) -> None:
        if not self.hashes:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header and request.method in READ_METHODS:
            scheme, token = "bearer", request.cookies.get(UI_KEY_COOKIE, "")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("an API key is required: send 'Authorization: Bearer <key>'")
        digest = hash_key(token.strip())
        if not any(hmac.compare_digest(digest, known) for known in self.hashes):
            raise Unauthorized("unknown API key")
