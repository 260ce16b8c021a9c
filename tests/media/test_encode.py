"""Scratch folders: named after their owner, removed when done, swept when the owner died."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from storyreel import procinfo
from storyreel.media.encode import scratch_dir_for, sweep_stale_scratch

pytestmark = pytest.mark.skipif(not procinfo.has_proc(), reason="needs Linux /proc")


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def _host() -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in socket.gethostname())


def test_scratch_is_removed_even_when_the_encode_fails(tmp_path: Path) -> None:
    out = tmp_path / "video.mp4"
    with pytest.raises(RuntimeError), scratch_dir_for(out) as scratch:
        (scratch / "video.mp4").write_bytes(b"half")
        raise RuntimeError("ffmpeg failed")
    assert list(tmp_path.iterdir()) == []


def test_sweep_removes_only_the_scratch_of_dead_processes(tmp_path: Path) -> None:
    nested = tmp_path / "assembly"
    nested.mkdir()
    me = f"@{_host()}.{os.getpid()}.{procinfo.own_start_ticks()}"
    dead = nested / f".p1.mp4.partial.@{_host()}.{_dead_pid()}.12345.abc_def1"
    # Our pid, but an earlier process that had it: the start ticks differ.
    reused = tmp_path / f".p2.mp4.partial.@{_host()}.{os.getpid()}.1.k2j3h4g5"
    live = tmp_path / f".p3.mp4.partial.{me}zz9y8x7w"
    other_host = tmp_path / f".p4.mp4.partial.@elsewhere-box.{_dead_pid()}.7.q1w2e3r4"
    plain = tmp_path / "not-scratch"
    for folder in (dead, reused, live, other_host, plain):
        folder.mkdir()
        (folder / "video.mp4").write_bytes(b"x" * 1000)
    removed = sweep_stale_scratch(tmp_path)
    assert sorted(removed) == sorted([dead, reused])
    assert not dead.exists() and not reused.exists()
    assert live.exists() and other_host.exists() and plain.exists()


def test_a_scratch_folder_in_use_survives_a_sweep(tmp_path: Path) -> None:
    with scratch_dir_for(tmp_path / "movie.mp4") as scratch:
        assert sweep_stale_scratch(tmp_path) == []
        assert scratch.is_dir()
