"""Time-ordered ids: newer rows sort last, so keyset pagination needs no extra column."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ulid import ULID


def new_id() -> str:
    """A new ULID as its 26-character Crockford base32 string."""
    return str(ULID())


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal data, equal text, equal hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(value: Any) -> str:
    """SHA-256 of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()
