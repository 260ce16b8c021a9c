"""Many library assets as one zip, streamed: "download selected" in the web UI.

The request names assets by their sha256 only; each is looked up in the database and its
file opened from the content-addressed store, so no user text ever becomes a path. The
whole selection is checked (every id known, the count and the total size under the caps)
before the first byte goes out, so a refusal is one clear error instead of a broken zip.
Entries are stored, not deflated: images and videos are compressed already, and the zip
is written as it is read, in chunks, never held in memory.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from storyreel.engine.runtime import Runtime
from storyreel.errors import InputError, NotFound
from storyreel.store.assets import AssetStore, extension_for
from storyreel.store.models import Asset

#: Under the form parser's 1,000 fields (the ids and the CSRF token), so that a bigger
#: selection gets this module's message, not the parser's.
MAX_FILES = 500
MAX_BYTES = 2 * 1024**3
CHUNK = 1 << 20
_SHA = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ZipEntry:
    name: str
    path: Path
    size: int
    created_at: datetime


def _unique(ids: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for sha in ids:
        if not _SHA.match(sha):
            raise InputError(f"not an asset id: {sha[:70]!r}")
        seen[sha] = None
    return list(seen)


async def plan_zip(
    rt: Runtime, ids: Iterable[str], *, max_files: int = MAX_FILES, max_bytes: int = MAX_BYTES
) -> list[ZipEntry]:
    """The files of the assets ``ids``, checked: known, present, within the caps."""
    shas = _unique(ids)
    if not shas:
        raise InputError("select at least one asset to download")
    if len(shas) > max_files:
        raise InputError(f"{len(shas)} assets selected; a zip holds at most {max_files}")
    async with rt.db.session() as session:
        rows = (await session.execute(select(Asset).where(Asset.sha256.in_(shas)))).scalars()
        found = {asset.sha256: asset for asset in rows}
    missing = [sha for sha in shas if sha not in found]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise NotFound(f"unknown asset {missing[0]}{more}")
    total = sum(found[sha].size for sha in shas)
    if total > max_bytes:
        raise InputError(
            f"the selection is {total / 1e6:,.0f} MB; a zip holds at most "
            f"{max_bytes / 1e6:,.0f} MB: select fewer assets"
        )
    return [_entry(rt.assets, number, found[sha]) for number, sha in enumerate(shas, 1)]


def _entry(store: AssetStore, number: int, asset: Asset) -> ZipEntry:
    path = store.path(asset.sha256, asset.mime).resolve()
    if not path.is_relative_to(store.root) or not path.is_file():
        raise NotFound(f"the file of asset {asset.sha256} is missing from the store")
    name = f"{number:04d}-{asset.sha256[:16]}{extension_for(asset.mime)}"
    return ZipEntry(name=name, path=path, size=asset.size, created_at=asset.created_at)


class _Sink(io.RawIOBase):
    """An unseekable file that hands over what was written since the last ``take``;
    ``zipfile`` writes data descriptors for it instead of seeking back."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def stream_zip(entries: list[ZipEntry]) -> Iterator[bytes]:
    """The zip's bytes, chunk by chunk (a sync iterator: file reads run in a thread)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for entry in entries:
            stamp = entry.created_at.timetuple()[:6]
            info = zipfile.ZipInfo(entry.name, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
            with entry.path.open("rb") as source, archive.open(info, "w", force_zip64=True) as out:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    out.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()
