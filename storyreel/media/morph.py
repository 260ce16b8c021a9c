"""A first-last-frame clip offline: the first panel dissolves into the last one.

The ``motion`` provider's answer to a first-last-to-video request: both stills are
cover-cropped to the frame (as motion clips are), then blended frame by frame from all
first to all last, with a slow ease so the change reads as a move, not a cut. Exactly
``round(duration * fps)`` frames; the first frame is the first panel and the last frame
the last panel, which is what the next shot starts on.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from storyreel.errors import MediaError
from storyreel.media.encode import h264_output_args, scratch_dir_for
from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.motion import _prepare_source, _validate
from storyreel.media.probe import probe_video


async def render_morph_clip(
    first: Path, last: Path, out: Path, *, duration: float, fps: int, width: int, height: int
) -> None:
    frames = _validate(duration, fps, width, height)
    span = max(1, frames - 1)
    with scratch_dir_for(out) as scratch:
        sources = [scratch / "first.ppm", scratch / "last.ppm"]
        for image, dest in zip((first, last), sources, strict=True):
            await asyncio.to_thread(_prepare_source, image, dest, width, height)
        # Smoothstep of N/span: 0 on the first frame, 1 on the last.
        mix = f"(3*pow(N/{span},2)-2*pow(N/{span},3))"
        graph = (
            f"[0:v]fps={fps},format=gbrp[a];[1:v]fps={fps},format=gbrp[b];"
            f"[a][b]blend=all_expr='A*(1-{mix})+B*{mix}',setsar=1,format=yuv420p[v]"
        )
        partial = scratch / "clip.mp4"
        await run_ffmpeg(
            [
                *("-loop", "1", "-framerate", str(fps), "-i", str(sources[0])),
                *("-loop", "1", "-framerate", str(fps), "-i", str(sources[1])),
                *("-filter_complex", graph, "-map", "[v]", "-frames:v", str(frames)),
                *h264_output_args(),
                str(partial),
            ],
            what=f"rendering a first-last clip from {first.name} to {last.name}",
        )
        info = await asyncio.to_thread(probe_video, partial)
        if info.frames != frames or (info.width, info.height) != (width, height):
            raise MediaError(f"first-last clip has {info.frames} frames, expected {frames}")
        partial.replace(out)
