"""How every MP4 we write is encoded and put in place.

Clips are rendered separately and later joined, so they must agree on codec, pixel format
and colour tags; keeping the settings in one list guarantees that. Outputs are written in a
scratch folder beside the target and renamed over it only when complete, because a crash
or cancellation mid-encode must never leave a truncated file under the final name.

The scratch folder is removed when the encode ends, however it ends; only a process killed
outright leaves one behind. Its name therefore records the owner (host, pid, start time),
and :func:`sweep_stale_scratch` removes those whose owner is gone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storyreel import procinfo
from storyreel.errors import InputError

MAX_SIDE = 8192


def check_frame_size(width: int, height: int) -> None:
    """yuv420p stores colour at half resolution, so libx264 refuses odd widths and heights."""
    for label, side in (("width", width), ("height", height)):
        if isinstance(side, bool) or not isinstance(side, int) or not 2 <= side <= MAX_SIDE:
            raise InputError(f"{label} must be from 2 to {MAX_SIDE} pixels, got {side!r}")
        if side % 2:
            raise InputError(f"{label} must be an even number of pixels for H.264, got {side}")


def h264_output_args() -> list[str]:
    """libx264 MP4 settings shared by all renders.

    BT.709 is stated explicitly: players guess BT.601 for untagged SD-sized H.264, and
    colours would then shift slightly between clips of different sizes. FFmpeg negotiates
    these tags into the filtergraph, so a plain ``format=yuv420p`` at the end of a graph
    already converts with the BT.709 matrix (an explicit ``scale=out_color_matrix`` would
    do the same work on a slower path).
    ``+faststart`` moves the index to the front so browsers can start playing at once.
    """
    return [
        "-an",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "18",
        "-pix_fmt",
        "yuv420p",
        "-colorspace",
        "bt709",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-color_range",
        "tv",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
    ]


@contextmanager
def scratch_dir_for(out: Path) -> Iterator[Path]:
    """A private folder on the same filesystem as ``out``, removed on exit, named
    ``.<out name>.partial.<owner tag>XXXX`` so a sweep can find a dead owner's leftovers.

    Same filesystem so that ``Path.replace`` into ``out`` is an atomic rename, not a copy.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{out.name}.partial.{procinfo.owner_tag()}"
    scratch = Path(tempfile.mkdtemp(prefix=prefix, dir=out.parent))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def sweep_stale_scratch(root: Path) -> list[Path]:
    """Remove scratch folders under ``root`` whose owning process no longer runs.

    Called when an engine starts, so the full-size partial video of a worker killed
    mid-assembly does not stay on disk for good. A folder of a live process (another worker
    sharing the data dir) is kept, and so is one made on another host.
    """
    removed: list[Path] = []
    for folder, subdirs, _files in os.walk(root):
        for name in list(subdirs):
            if ".partial." in name and procinfo.owner_gone(name):
                path = Path(folder) / name
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
                subdirs.remove(name)
    return removed
