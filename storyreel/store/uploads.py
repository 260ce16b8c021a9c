"""The upload cache: sha256 + provider -> a URL the provider can read, until it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from storyreel.store.db import Database
from storyreel.store.models import UploadedFile, utcnow

# A URL that expires within this margin is treated as gone: a job submitted with it may
# only start minutes later, in the provider's queue.
EXPIRY_MARGIN = timedelta(minutes=30)


def _usable(expires: datetime | None) -> bool:
    if expires is None:
        return True
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return expires - EXPIRY_MARGIN > datetime.now(UTC)


class UploadCache:
    """The table, with what this process has already read or written of it kept in memory:
    a story's panels all carry the same references, and each submit asking the database
    again (one at a time, under the provider's per-file upload lock) held the second wave
    of panels for up to 1.3 s on a busy engine."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[tuple[str, str], tuple[str, datetime | None]] = {}

    async def get(self, sha256: str, provider: str) -> str | None:
        known = self._known.get((sha256, provider))
        if known is not None and _usable(known[1]):
            return known[0]
        async with self.db.read() as session:
            row = await session.get(UploadedFile, (sha256, provider))
            if row is None or not _usable(row.expires_at):
                return None
            self._known[(sha256, provider)] = (row.url, row.expires_at)
            return row.url

    async def put(self, sha256: str, provider: str, url: str, *, ttl: timedelta | None) -> None:
        """Store (or replace) the URL. Two processes that uploaded the same file at once
        both store a good URL: ``merge`` looks the row up first, so the slower of two
        concurrent inserts fails on the key and, tried again, finds the row and updates it."""
        expires = utcnow() + ttl if ttl is not None else None
        for attempt in (1, 2):
            try:
                async with self.db.session() as session:
                    await session.merge(
                        UploadedFile(
                            sha256=sha256,
                            provider=provider,
                            url=url,
                            expires_at=expires,
                            created_at=utcnow(),
                        )
                    )
                self._known[(sha256, provider)] = (url, expires)
                return
            except IntegrityError:
                if attempt == 2:
                    raise
