"""Content-addressed files on local disk: ``assets/ab/cd/<sha256>.<ext>``.

The name is the hash of the bytes, so writing the same output twice stores it once, a
crash mid-write leaves only a temp file (renamed into place atomically), and no name a user
typed ever reaches the filesystem.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from storyreel import procinfo
from storyreel.errors import InputError, NotFound
from storyreel.media.mime import MIME_EXTENSIONS

_SHA = re.compile(r"^[0-9a-f]{64}$")
_T = TypeVar("_T")


def extension_for(mime: str) -> str:
    try:
        return MIME_EXTENSIONS[mime]
    except KeyError:
        raise InputError(f"unsupported media type {mime!r}") from None


class AssetStore:
    """Stores bytes under their SHA-256. Paths never leave ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str, mime: str) -> Path:
        if not _SHA.match(sha256):
            raise InputError(f"not an asset id: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{extension_for(mime)}"

    def put(self, data: bytes, mime: str) -> tuple[str, Path]:
        """Store ``data``; return its hash and path. Idempotent."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha, mime)
        if not target.exists():
            self._atomic_write(target, [data])
        return sha, target

    def put_file(self, source: Path, mime: str, *, keep_source: bool = False) -> tuple[str, Path]:
        """Move a file (a local provider's scratch output) into the store by its hash.
        ``keep_source`` links (or copies) it instead: a step that may run again after a
        crash needs its input still there, and removes it once its result is committed."""
        digest = hashlib.sha256()
        with source.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
        target = self.path(sha, mime)
        if keep_source:
            if not target.exists():
                _in_folder(target.parent, lambda: self._link_or_copy(source, target))
        elif target.exists():
            source.unlink(missing_ok=True)
        else:
            _in_folder(target.parent, lambda: source.replace(target))
        return sha, target

    def _link_or_copy(self, source: Path, target: Path) -> None:
        """A hard link costs no space; across file systems, an atomic copy."""
        try:
            os.link(source, target)
        except FileExistsError:
            pass
        except OSError:
            with source.open("rb") as handle:
                self._atomic_write(target, iter(lambda: handle.read(1 << 20), b""))

    def open_writer(self, mime: str) -> _StreamingWriter:
        """Stream a download into the store without holding it in memory."""
        return _StreamingWriter(self, mime)

    def read(self, sha256: str, mime: str) -> bytes:
        target = self.path(sha256, mime)
        if not target.exists():
            raise NotFound(f"asset {sha256[:12]} is missing from {self.root}")
        return target.read_bytes()

    def exists(self, sha256: str, mime: str) -> bool:
        return self.path(sha256, mime).exists()

    def holds(self, sha256: str) -> bool:
        """Whether these bytes are stored, under whichever type they were stored as."""
        if not _SHA.match(sha256):
            return False
        return any((self.root / sha256[:2] / sha256[2:4]).glob(f"{sha256}.*"))

    def _atomic_write(self, target: Path, chunks: Iterable[bytes]) -> None:
        fd, tmp = _in_folder(
            target.parent, lambda: tempfile.mkstemp(dir=target.parent, prefix=_partial_prefix())
        )
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            Path(tmp).replace(target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _in_folder(folder: Path, action: Callable[[], _T]) -> _T:
    """Run ``action``, which writes into ``folder``, making the folder when it is
    missing. Asking first costs a ``mkdir`` system call on every write, and once the
    store's 65,536 shard folders fill up nearly every one of them already exists."""
    try:
        return action()
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        return action()


def _partial_prefix() -> str:
    """Temp files are ``.tmp-<owner tag>XXXX``: a process killed mid-write leaves one
    behind, and the next start removes it once its writer is known to be gone."""
    return f".tmp-{procinfo.owner_tag()}"


def sweep_partials(root: Path) -> list[Path]:
    """Remove temp files under the asset store whose writing process has ended (a kill in
    the middle of a download or a put). A live writer's, or another host's, are kept."""
    if not root.is_dir():
        return []
    removed = []
    for path in root.rglob(".tmp-*"):
        if path.is_file() and procinfo.owner_gone(path.name):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


class _StreamingWriter:
    """Write chunks to a temp file while hashing; ``commit`` renames it into place."""

    def __init__(self, store: AssetStore, mime: str) -> None:
        self.store = store
        self.mime = mime
        self.size = 0
        self._digest = hashlib.sha256()
        incoming = store.root / "incoming"
        fd, name = _in_folder(
            incoming, lambda: tempfile.mkstemp(dir=incoming, prefix=_partial_prefix())
        )
        self._tmp = Path(name)
        self._file = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self._digest.update(chunk)
        self.size += len(chunk)
        self._file.write(chunk)

    def commit(self) -> tuple[str, Path]:
        self._file.close()
        sha = self._digest.hexdigest()
        target = self.store.path(sha, self.mime)
        _in_folder(target.parent, lambda: self._tmp.replace(target))
        return sha, target

    def abort(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)
