"""Run the FFmpeg binary that ships inside the ``imageio_ffmpeg`` wheel.

There is no system ffmpeg to rely on, so every encode goes through the static binary the
wheel bundles. Arguments are always an argv list (never a shell string) so file names with
spaces or quotes cannot inject anything.
"""

from __future__ import annotations

import asyncio
import functools

import imageio_ffmpeg

from storyreel.errors import MediaError

# Enough of stderr to see the real cause (ffmpeg prints it last) without flooding a log line.
_STDERR_LINES = 5
_STDERR_CHARS = 600

_COMMON_ARGS = ("-hide_banner", "-loglevel", "error", "-nostdin", "-y")


@functools.cache
def ffmpeg_exe() -> str:
    """Locate the bundled binary once; the lookup stats files and is asked for on every run."""
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:  # the wheel has no binary for this platform
        raise MediaError(f"no ffmpeg binary available: {exc}") from exc


def _stderr_tail(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    tail = "; ".join(lines[-_STDERR_LINES:])
    if len(tail) > _STDERR_CHARS:
        tail = "…" + tail[-_STDERR_CHARS:]
    return tail


async def run_ffmpeg(args: list[str], *, what: str) -> None:
    """Run ffmpeg to completion, turning a non-zero exit into a ``MediaError``.

    ``what`` names the step for the error message because ffmpeg's own last line rarely says
    which of our operations it was part of. If the awaiting task is cancelled the child is
    killed, so an abandoned render never keeps burning CPU in the background.
    """
    proc = await asyncio.create_subprocess_exec(
        ffmpeg_exe(),
        *_COMMON_ARGS,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        detail = _stderr_tail(stderr) or f"exit code {proc.returncode}"
        raise MediaError(f"{what} failed: {detail}")
