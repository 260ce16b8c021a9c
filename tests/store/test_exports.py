"""Atomic export writes: the target holds the new bytes whole or the old ones, a failed
copy leaves no temporary file behind, and ``holds`` tells an unchanged file apart."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from storyreel.store import exports
from storyreel.store.exports import copy_atomic, file_sha256, holds, write_text_atomic


def test_copy_creates_the_folder_and_replaces_the_old_file(tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(b"new bytes")
    target = tmp_path / "deep" / "er" / "out.bin"
    copy_atomic(source, target)
    assert target.read_bytes() == b"new bytes"
    source.write_bytes(b"newer")
    copy_atomic(source, target)
    assert target.read_bytes() == b"newer"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.bin"]


def test_a_failed_copy_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(b"new")
    target = tmp_path / "out" / "file.bin"
    target.parent.mkdir()
    target.write_bytes(b"old")

    def half_copy(src: Path, dst: str) -> None:
        Path(dst).write_bytes(b"ne")
        raise OSError("disk full")

    monkeypatch.setattr(shutil, "copyfile", half_copy)
    with pytest.raises(OSError, match="disk full"):
        copy_atomic(source, target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]


def test_text_is_utf8_with_newlines_kept(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "story.srt"
    write_text_atomic(target, "caf\u00e9\r\nline\n")
    assert target.read_bytes() == "caf\u00e9\r\nline\n".encode()


def test_a_failed_text_write_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path, target: Path) -> Path:
        raise OSError("read-only")

    monkeypatch.setattr(exports.Path, "replace", refuse)
    with pytest.raises(OSError, match="read-only"):
        write_text_atomic(tmp_path / "a.txt", "x")
    assert list(tmp_path.iterdir()) == []


def test_holds_compares_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f"
    assert file_sha256(path) is None
    assert file_sha256(tmp_path) is None  # a folder is not a file
    path.write_bytes(b"abc")
    sha = hashlib.sha256(b"abc").hexdigest()
    assert file_sha256(path) == sha
    assert holds(path, sha)
    assert not holds(path, hashlib.sha256(b"abd").hexdigest())
