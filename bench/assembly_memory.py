"""Peak memory of the ffmpeg children of one assembly, for a short and a long story.

Each assembly runs in a fresh Python process, whose ``RUSAGE_CHILDREN`` peak is then the
largest ffmpeg run it waited for (probing is done in-process by PyAV, so it is not counted).
Flat numbers mean assembly memory does not grow with the number of clips.

    python bench/assembly_memory.py [--clips 10 60] [--size 640x360]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storyreel.media.assemble import assemble_video
from storyreel.media.ffmpeg import run_ffmpeg

FPS = 24


async def _clips(root: Path, count: int) -> list[Path]:
    clips = []
    for index in range(count):
        clip = root / f"clip{index}.mp4"
        if not clip.exists():
            await run_ffmpeg(
                [
                    *("-f", "lavfi", "-i", f"testsrc2=s=320x180:r={FPS}", "-frames:v", str(FPS)),
                    *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
                    str(clip),
                ],
                what="making a bench clip",
            )
        clips.append(clip)
    return clips


async def _assemble(root: Path, count: int, width: int, height: int) -> None:
    clips = await _clips(root, count)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    info = await assemble_video(
        clips, root / "out.mp4", fps=FPS, width=width, height=height, transition_frames=6
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"{count:4d} clips  {info.frames:6d} frames  {time.monotonic() - started:5.1f} s  "
        f"ffmpeg peak RSS {peak / 1024:6.1f} MiB  (making clips: {before / 1024:.1f} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, nargs="+", default=[10, 60])
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    width, height = (int(side) for side in args.size.split("x"))
    if args.child is not None:
        asyncio.run(_assemble(args.root, args.child, width, height))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.clips:
            root = Path(tmp) / str(count)
            root.mkdir()
            command = [sys.executable, __file__, "--child", str(count), "--root", str(root)]
            subprocess.run([*command, "--size", args.size], check=True)


if __name__ == "__main__":
    main()
