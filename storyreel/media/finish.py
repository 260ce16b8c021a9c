"""The last pass over an assembled video: its frame (16:9, 9:16, 1:1 from one story), its
burned-in captions and its soundtrack.

A story is assembled once, at its own aspect; a short (9:16) or a square post is cut from
it by scaling until the frame is covered and cropping the centre, so nothing is
letterboxed. Captions are drawn by Pillow (``captions.py``) and laid over the picture only
while they are spoken: no font has to exist on the system and every machine draws the
same pixels. The soundtrack, already mixed, is copied in as it is. The frame count never
changes, and the result is read back before it replaces ``out``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from storyreel.errors import MediaError
from storyreel.media.captions import caption_image
from storyreel.media.encode import check_frame_size, h264_output_args, scratch_dir_for
from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.probe import VideoInfo, probe_video
from storyreel.media.subtitles import Caption


def frame_graph(
    source: tuple[int, int], size: tuple[int, int], captions: Sequence[Caption]
) -> str | None:
    """The video filter graph (``[vout]``), or None when the picture passes unchanged."""
    width, height = size
    chain: list[str] = []
    if source != size:
        chain.append(
            f"[0:v]scale=w={width}:h={height}:force_original_aspect_ratio=increase,"
            f"crop={width}:{height},setsar=1[base]"
        )
    elif captions:
        chain.append("[0:v]null[base]")
    if not chain:
        return None
    current = "base"
    for index, caption in enumerate(captions):
        label = "vout" if index == len(captions) - 1 else f"v{index}"
        chain.append(
            f"[{current}][{index + 1}:v]overlay=x=0:y=0:eof_action=repeat"
            f":enable='between(t,{caption.start:.3f},{caption.end:.3f})'[{label}]"
        )
        current = label
    if not captions:
        chain[-1] = chain[-1].removesuffix("[base]") + ",format=yuv420p[vout]"
    else:
        chain[-1] = chain[-1].removesuffix("[vout]") + ",format=yuv420p[vout]"
    return ";".join(chain)


async def finish_video(
    video: Path,
    out: Path,
    *,
    size: tuple[int, int] | None = None,
    audio: Path | None = None,
    captions: Sequence[Caption] = (),
) -> VideoInfo:
    """Write ``video`` reframed to ``size`` (default: its own), with ``captions`` burned in
    and ``audio`` as its sound, to ``out``."""
    info = await asyncio.to_thread(probe_video, video)
    source = (info.width, info.height)
    target = size or source
    check_frame_size(*target)
    graph = frame_graph(source, target, captions)
    with scratch_dir_for(out) as scratch:
        inputs = ["-i", str(video)]
        for index, caption in enumerate(captions):
            png = scratch / f"caption{index:04d}.png"
            png.write_bytes(caption_image(caption.text, *target))
            inputs += ["-i", str(png)]
        audio_index = 1 + len(captions)
        if audio is not None:
            inputs += ["-i", str(audio)]
        if graph is None:
            video_args = ["-map", "0:v", "-c:v", "copy", "-movflags", "+faststart", "-f", "mp4"]
        else:
            encode = [arg for arg in h264_output_args() if arg != "-an"]
            video_args = ["-filter_complex", graph, "-map", "[vout]", *encode]
        audio_args = ["-map", f"{audio_index}:a", "-c:a", "copy"] if audio else ["-an"]
        partial = scratch / "finished.mp4"
        await run_ffmpeg(
            [*inputs, *video_args, *audio_args, "-frames:v", str(info.frames), str(partial)],
            what=f"finishing {out.name}",
        )
        made = await asyncio.to_thread(probe_video, partial)
        if made.frames != info.frames or (made.width, made.height) != target:
            raise MediaError(
                f"{out.name}: finished video is {made.width}x{made.height}, {made.frames} "
                f"frames; expected {target[0]}x{target[1]}, {info.frames}"
            )
        partial.replace(out)
    return made
