"""The upload cache: sha256 + provider -> a URL the provider can read, until it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from storyreel.store.db import Database
from storyreel.store.models import UploadedFile, utcnow

# A URL that expires within this margin is treated as gone: a job submitted with it may
# only start minutes later, in the provider's queue.
EXPIRY_MARGIN = timedelta(minutes=30)


class UploadCache:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, sha256: str, provider: str) -> str | None:
        async with self.db.session() as session:
            row = await session.get(UploadedFile, (sha256, provider))
            if row is None:
                return None
            if row.expires_at is not None:
                expires = row.expires_at
                if expires.tzinfo is None:
                    expires = expires.replace(tzinfo=UTC)
                if expires - EXPIRY_MARGIN <= datetime.now(UTC):
                    return None
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
                return
            except IntegrityError:
                if attempt == 2:
                    raise
