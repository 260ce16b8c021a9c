"""Peak memory of the ffmpeg children of one assembly, for a short and a long story.

Each assembly runs in a fresh Python process, whose ``RUSAGE_CHILDREN`` peak is then the
largest ffmpeg run it waited for (probing is done in-process by PyAV, so it is not counted).
Flat numbers mean assembly memory does not grow with the number of clips: ``run()`` gives
the long story's peak beside the short one's.

    python bench/assembly_memory.py [--clips 10 60] [--size 640x360]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storyreel.media.assemble import assemble_video
from storyreel.media.ffmpeg import run_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Result

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


async def _assemble(root: Path, count: int, width: int, height: int, *, as_json: bool) -> None:
    clips = await _clips(root, count)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    info = await assemble_video(
        clips, root / "out.mp4", fps=FPS, width=width, height=height, transition_frames=6
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if as_json:
        seconds = time.monotonic() - started
        print(json.dumps({"peak_kib": peak, "frames": info.frames, "seconds": seconds}))
        return
    print(
        f"{count:4d} clips  {info.frames:6d} frames  {time.monotonic() - started:5.1f} s  "
        f"ffmpeg peak RSS {peak / 1024:6.1f} MiB  (making clips: {before / 1024:.1f} MiB)"
    )


def _measure(root: Path, count: int, size: str, *, as_json: bool) -> str:
    root.mkdir()
    command = [sys.executable, __file__, "--child", str(count), "--root", str(root)]
    command += ["--size", size, *(["--json"] if as_json else [])]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE if as_json else None)
    return done.stdout.decode() if as_json else ""


def run() -> list[Result]:
    short, long = 10, 60
    with tempfile.TemporaryDirectory() as tmp:
        peaks = {
            count: json.loads(_measure(Path(tmp) / str(count), count, "640x360", as_json=True))
            for count in (short, long)
        }
    return [
        Result(
            f"assembly ffmpeg peak RSS, {long} clips 640x360",
            peaks[long]["peak_kib"] / 1024,
            "MiB",
            peaks[short]["peak_kib"] / 1024,
            f"the same with {short} clips",
            note=f"{peaks[long]['frames']} frames in {peaks[long]['seconds']:.1f} s",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, nargs="+", default=[10, 60])
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    width, height = (int(side) for side in args.size.split("x"))
    if args.child is not None:
        asyncio.run(_assemble(args.root, args.child, width, height, as_json=args.json))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.clips:
            _measure(Path(tmp) / str(count), count, args.size, as_json=False)


if __name__ == "__main__":
    main()
