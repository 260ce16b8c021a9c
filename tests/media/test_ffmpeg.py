from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storyreel import procinfo
from storyreel.errors import MediaError
from storyreel.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from tests.proc_helpers import pids_with_arg, wait_until_gone


def test_binary_comes_from_the_wheel() -> None:
    exe = ffmpeg_exe()
    assert Path(exe).is_file()
    assert ffmpeg_exe() is exe


async def test_failure_names_the_step_and_the_cause(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"^decoding the intro failed: .*missing\.mp4"):
        await run_ffmpeg(
            ["-i", str(tmp_path / "missing.mp4"), str(tmp_path / "o.mp4")],
            what="decoding the intro",
        )


async def test_file_names_are_not_interpreted_by_a_shell(tmp_path: Path) -> None:
    odd = tmp_path / "a b; touch pwned $(x).mp4"
    await run_ffmpeg(
        ["-f", "lavfi", "-i", "color=s=32x32:r=5", "-frames:v", "2", str(odd)], what="odd name"
    )
    assert odd.is_file()
    assert not (tmp_path / "pwned").exists()


async def test_cancelling_stops_the_process() -> None:
    task = asyncio.create_task(
        run_ffmpeg(["-re", "-f", "lavfi", "-i", "color=s=32x32:r=5", "-f", "null", "-"], what="x")
    )
    await asyncio.sleep(0.3)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 5


_ORPHAN_SCRIPT = """
import asyncio, sys
from storyreel.media.ffmpeg import run_ffmpeg
asyncio.run(run_ffmpeg(
    ["-re", "-f", "lavfi", "-i", "color=s=32x32:r=5", "-f", "null", sys.argv[1]], what="x"
))
"""


@pytest.mark.skipif(not procinfo.has_proc(), reason="needs Linux /proc")
def test_ffmpeg_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    marker = str(tmp_path / "orphan-marker")  # ffmpeg's null muxer ignores the name
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT, marker])
    try:
        deadline = time.monotonic() + 20
        while not [p for p in pids_with_arg(marker) if p != parent.pid]:
            assert time.monotonic() < deadline, "ffmpeg never started"
            time.sleep(0.05)
    finally:
        parent.kill()
        parent.wait()
    assert wait_until_gone(marker, timeout=2.0) == []
