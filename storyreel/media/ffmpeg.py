"""Run the FFmpeg binary that ships inside the ``imageio_ffmpeg`` wheel.

There is no system ffmpeg to rely on, so every encode goes through the static binary the
wheel bundles. Arguments are always an argv list (never a shell string) so file names with
spaces or quotes cannot inject anything.

An ffmpeg child must never outlive storyreel: a worker killed mid-assembly (OOM killer,
``kill -9``, a container stop) would otherwise leave ffmpeg encoding a full-size scratch
video nobody will read. Cancellation kills the child in :func:`run_ffmpeg`; for deaths that
run no Python at all, Linux's ``PR_SET_PDEATHSIG`` makes the kernel send the child SIGKILL
when its parent goes. A process group would not help there: nobody is left to signal it.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import os
import signal
import sys
from collections.abc import Callable

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


_PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, resolved once in the parent: the child must do as little as possible
    between fork and exec (no symbol lookup, no imports)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


def _die_with(prctl: Callable[..., int], parent: int) -> None:
    """Runs in the forked child before exec; the death signal survives the exec.

    If the parent died between fork and ``prctl`` the child was already re-parented and
    would never get the signal, so it checks and leaves. The kernel ties the signal to the
    *thread* that forked: children are started from the event loop's thread, which lives
    as long as any ``run_ffmpeg`` awaiting them.
    """
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def child_preexec() -> Callable[[], None] | None:
    """The ``preexec_fn`` that makes a child die with this process, where the OS can."""
    prctl = _prctl()
    return None if prctl is None else functools.partial(_die_with, prctl, os.getpid())


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
    killed, so an abandoned render never keeps burning CPU in the background; if this
    whole process dies, the kernel kills the child (see :func:`child_preexec`).
    """
    proc = await asyncio.create_subprocess_exec(
        ffmpeg_exe(),
        *_COMMON_ARGS,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=child_preexec(),
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
