from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storyreel.errors import InputError, NotFound
from storyreel.store.assets import AssetStore, sweep_partials


def test_put_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    store = AssetStore(tmp_path / "assets")
    sha, path = store.put(b"hello", "image/png")
    assert sha == hashlib.sha256(b"hello").hexdigest()
    assert path == store.root / sha[:2] / sha[2:4] / f"{sha}.png"
    again, same = store.put(b"hello", "image/png")
    assert (again, same) == (sha, path) and store.read(sha, "image/png") == b"hello"


def test_put_file_moves_scratch_output_in(tmp_path: Path) -> None:
    store = AssetStore(tmp_path / "assets")
    scratch = tmp_path / "out.mp4"
    scratch.write_bytes(b"video")
    _, path = store.put_file(scratch, "video/mp4")
    assert not scratch.exists() and path.read_bytes() == b"video" and path.suffix == ".mp4"


def test_streaming_writer_commits_or_leaves_nothing(tmp_path: Path) -> None:
    store = AssetStore(tmp_path / "assets")
    writer = store.open_writer("image/png")
    writer.write(b"ab")
    writer.write(b"cd")
    sha, path = writer.commit()
    assert path.read_bytes() == b"abcd" and sha == hashlib.sha256(b"abcd").hexdigest()
    aborted = store.open_writer("image/png")
    aborted.write(b"partial")
    aborted.abort()
    assert list((store.root / "incoming").iterdir()) == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "a" * 63, "A" * 64, ""])
def test_asset_ids_are_validated_so_paths_stay_inside(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InputError):
        AssetStore(tmp_path).path(bad, "image/png")


def test_unknown_mime_and_missing_asset(tmp_path: Path) -> None:
    store = AssetStore(tmp_path)
    with pytest.raises(InputError, match="unsupported media type"):
        store.put(b"x", "text/html")
    with pytest.raises(NotFound):
        store.read("0" * 64, "image/png")


KILLED_MID_WRITE = """
import os, signal, sys
from pathlib import Path
from storyreel.store.assets import AssetStore, sweep_partials
writer = AssetStore(Path(sys.argv[1])).open_writer("video/mp4")
writer.write(b"half a video")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_writer_killed_mid_download_leaves_nothing_after_the_next_start(
    tmp_path: Path,
) -> None:
    """A process killed while streaming an output into the store leaves its temp file;
    the sweep at the next engine start removes it, and keeps a live writer's."""
    root = tmp_path / "assets"
    child = subprocess.run(
        [sys.executable, "-c", KILLED_MID_WRITE, str(root)], check=False, timeout=60
    )
    assert child.returncode == -signal.SIGKILL
    [left] = list(root.rglob(".tmp-*"))
    live = AssetStore(root).open_writer("image/png")
    live.write(b"still being written")
    assert sweep_partials(root) == [left]
    assert not left.exists() and len(list(root.rglob(".tmp-*"))) == 1
    live.abort()


def test_put_file_can_keep_its_source_for_a_step_that_may_run_again(tmp_path: Path) -> None:
    """A download step killed after storing but before its checkpoint runs again and must
    find the scratch output where the provider left it."""
    store = AssetStore(tmp_path / "assets")
    scratch = tmp_path / "out.png"
    scratch.write_bytes(b"panel")
    sha, path = store.put_file(scratch, "image/png", keep_source=True)
    assert scratch.read_bytes() == b"panel" and path.read_bytes() == b"panel"
    assert store.put_file(scratch, "image/png", keep_source=True) == (sha, path)


def test_holds_finds_bytes_under_any_type_and_refuses_bad_ids(tmp_path: Path) -> None:
    store = AssetStore(tmp_path)
    sha, path = store.put(b"clip", "video/mp4")
    assert store.holds(sha)
    path.unlink()
    assert not store.holds(sha)
    assert not store.holds("../" + sha[3:])


def test_a_write_into_a_folder_that_exists_asks_for_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Folders are made when a write finds one missing, not asked for on every write
    (a ``mkdir`` system call each)."""
    store = AssetStore(tmp_path / "assets")
    made: list[Path] = []
    mkdir = Path.mkdir

    def counting(self: Path, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", counting)
    data = b"first bytes"
    _, path = store.put(data, "image/png")  # a new shard: its folder is made
    assert made and path.read_bytes() == data
    sibling = tmp_path / "scratch.png"
    sibling.write_bytes(b"other bytes")
    target = store.path(hashlib.sha256(b"other bytes").hexdigest(), "image/png")
    target.parent.mkdir(parents=True)  # its shard is there already
    made.clear()
    assert store.put_file(sibling, "image/png")[1] == target
    assert made == []
    writes = []
    for _ in range(2):
        writer = store.open_writer("image/png")
        writer.write(b"streamed")
        writer.commit()
        writes.append(list(made))
    assert store.root / "incoming" in writes[0]  # the first download makes its folders
    assert writes[1] == writes[0]  # the second asks for none
