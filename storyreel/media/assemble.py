"""Join rendered clips into one video with crossfades.

The output length must match :mod:`storyreel.media.timeline` to the frame, but ``xfade``
overlaps its two inputs and so would normally *shorten* the result. Each clip is therefore
first padded with clones of its own edge frames (``tpad``); the crossfade eats only that
padding and the clips keep every frame.

The overlap is one frame longer than the transition and starts on the last real frame of
the outgoing clip, where xfade's progress is still 0 (so that frame is unchanged). The
``transition_frames`` inserted frames then blend at 1/(T+1) ... T/(T+1), and the incoming
clip starts on its own first frame: no inserted frame merely repeats a neighbour, and a
one-frame transition is a true 50% mix. Offsets are computed from integer frame counts,
never from summed float durations, so rounding cannot drift over a long video;
``-frames:v`` is a final guard.

A model rarely returns exactly the length it was asked for, but the video must follow the
plan: given the planned durations, each clip is conformed to ``round(duration * fps)``
frames, cut when longer and holding its last frame when shorter.

ffmpeg keeps a decoder and frame queues per input, so one graph over every clip needs
memory in proportion to the story's length (measured: 132 MiB for 10 small clips, 447 MiB
for 60). Longer stories are therefore encoded ``CLIPS_PER_SEGMENT`` clips at a time and the
parts joined with the concat demuxer, which copies the H.264 stream without re-encoding."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from pathlib import Path

from storyreel.errors import InputError, MediaError
from storyreel.media.encode import check_frame_size, h264_output_args, scratch_dir_for
from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.probe import VideoInfo, probe_video
from storyreel.media.timeline import Timeline, check_fps, plan_timeline

# Clips per ffmpeg run. Memory of one run grows ~6 MiB per 640x360 input (more at larger
# sizes); eight keeps a run's peak flat however long the story is.
CLIPS_PER_SEGMENT = 8


def _seconds(frames: int, fps: int) -> str:
    """Frame count as an ffmpeg duration; microsecond precision rounds back to the same frame."""
    return f"{frames / fps:.6f}"


def _normalise(index: int, info: VideoInfo, timeline: Timeline, *, width: int, height: int) -> str:
    """Filter chain turning input ``index`` into exactly ``frames`` frames of WxH@fps yuv420p.

    The fps filter's own count can land a frame short or long at a clip's end, so the clip
    is padded with clones of its last frame (a few, plus whatever a clip shorter than
    planned lacks) and then trimmed to the planned count.
    """
    fps = timeline.fps
    frames = timeline.clip_frames[index]
    first = index == 0
    last = index == len(timeline.clip_frames) - 1
    converted = math.floor(info.duration * fps)
    safety = 2 + math.ceil(fps / info.fps) + max(0, frames - converted)
    chain = [
        "setpts=PTS-STARTPTS",
        f"fps={fps}",
        f"scale=w={width}:h={height}:force_original_aspect_ratio=decrease:force_divisible_by=2",
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black",
        "setsar=1",
        "format=yuv420p",
        f"tpad=stop_mode=clone:stop={safety}",
        f"trim=end_frame={frames}",
        "setpts=PTS-STARTPTS",
    ]
    fade = timeline.transition_frames
    pad_start = 0 if first or not fade else fade + 1
    pad_stop = 0 if last else fade
    if pad_start or pad_stop:
        chain.append(f"tpad=start_mode=clone:start={pad_start}:stop_mode=clone:stop={pad_stop}")
    return f"[{index}:v]" + ",".join(chain) + f"[c{index}]"


def build_filtergraph(
    infos: Sequence[VideoInfo], timeline: Timeline, *, width: int, height: int
) -> str:
    """The whole ``-filter_complex`` graph; its output pad is ``[vout]``."""
    parts = [
        _normalise(i, info, timeline, width=width, height=height) for i, info in enumerate(infos)
    ]
    count = len(infos)
    fade = timeline.transition_frames
    if count == 1:
        parts.append("[c0]null[vout]")
    elif fade == 0:
        inputs = "".join(f"[c{i}]" for i in range(count))
        parts.append(f"{inputs}concat=n={count}:v=1:a=0[vout]")
    else:
        overlap = fade + 1
        current = "c0"
        # Frames in the chain so far, including the end padding still waiting to be faded.
        length = timeline.clip_frames[0] + fade
        for i in range(1, count):
            label = "vout" if i == count - 1 else f"x{i}"
            parts.append(
                f"[{current}][c{i}]xfade=transition=fade"
                f":duration={_seconds(overlap, timeline.fps)}"
                f":offset={_seconds(length - overlap, timeline.fps)}[{label}]"
            )
            padded = overlap + timeline.clip_frames[i] + (fade if i < count - 1 else 0)
            length += padded - overlap
            current = label
    return ";".join(parts)


def _validate(
    clips: Sequence[Path], durations: Sequence[float] | None, fps: int, width: int, height: int
) -> None:
    if not clips:
        raise InputError("nothing to assemble: give at least one clip")
    if durations is not None and len(durations) != len(clips):
        raise InputError(f"{len(durations)} planned durations given for {len(clips)} clips")
    check_fps(fps)
    check_frame_size(width, height)
    for number, clip in enumerate(clips, start=1):
        if not clip.is_file():
            raise InputError(f"clip {number} does not exist: {clip}")


async def assemble_video(
    clips: Sequence[Path],
    out: Path,
    *,
    fps: int,
    width: int,
    height: int,
    transition_frames: int,
    durations: Sequence[float] | None = None,
) -> VideoInfo:
    """Concatenate ``clips`` (any size or frame rate) into one WxH H.264 MP4 at ``fps``.

    With ``durations`` (seconds, one per clip: the plan) each clip lasts exactly
    ``round(duration * fps)`` frames, trimmed or holding its last frame; without, each
    keeps its real length converted to ``fps``. ``transition_frames`` of crossfade are
    added between neighbours (0 joins them with a hard cut). The result is read back and
    checked against the timeline before it replaces ``out``.
    """
    _validate(clips, durations, fps, width, height)
    infos = [await asyncio.to_thread(probe_video, clip) for clip in clips]
    lengths = list(durations) if durations is not None else [info.duration for info in infos]
    timeline = plan_timeline(lengths, fps, transition_frames)
    size = (width, height)
    with scratch_dir_for(out) as scratch:
        partial = scratch / "video.mp4"
        if len(clips) <= CLIPS_PER_SEGMENT:
            await _render(clips, infos, timeline, partial, size, what=out.name)
        else:
            await _render_in_segments(clips, infos, timeline, scratch, partial, size, out.name)
        info = await asyncio.to_thread(probe_video, partial)
        if info.frames != timeline.total_frames:
            raise MediaError(
                f"assembled video has {info.frames} frames, expected {timeline.total_frames}"
            )
        partial.replace(out)
    return info


async def _render(
    clips: Sequence[Path],
    infos: Sequence[VideoInfo],
    timeline: Timeline,
    dest: Path,
    size: tuple[int, int],
    *,
    what: str,
    frames: int | None = None,
) -> None:
    """One ffmpeg run: ``clips`` through the crossfade graph, the first ``frames`` output
    frames (default: the whole timeline) encoded to ``dest``."""
    width, height = size
    graph = build_filtergraph(infos, timeline, width=width, height=height)
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    count = timeline.total_frames if frames is None else frames
    await run_ffmpeg(
        [
            *inputs,
            *("-filter_complex", graph, "-map", "[vout]", "-frames:v", str(count)),
            *h264_output_args(),
            str(dest),
        ],
        what=f"assembling {len(clips)} clips into {what}",
    )


async def _render_in_segments(
    clips: Sequence[Path],
    infos: Sequence[VideoInfo],
    timeline: Timeline,
    scratch: Path,
    dest: Path,
    size: tuple[int, int],
    what: str,
) -> None:
    """Encode a few clips per ffmpeg run, one run at a time, then join the parts without
    re-encoding: ffmpeg holds decoders and frame queues for every input of a graph, so a
    single run's memory grows with the number of clips (see the module docstring).

    A segment that is followed by another also renders the crossfade into the next clip.
    It takes that clip as an extra input of one frame: during the overlap the incoming
    stream is only clones of its first frame, so one frame is all the blend reads. The
    segment then stops just before that clip's first frame, where the next segment starts,
    so the joined frames are the very frames one big graph would produce.
    """
    fade = timeline.transition_frames
    parts: list[Path] = []
    for start in range(0, len(clips), CLIPS_PER_SEGMENT):
        stop = min(start + CLIPS_PER_SEGMENT, len(clips))
        own = timeline.clip_frames[start:stop]
        frames = sum(own) + (len(own) - 1) * fade
        ahead = 1 if stop < len(clips) and fade else 0
        if stop < len(clips):
            frames += fade
        part_timeline = Timeline(timeline.fps, (*own, *(1,) * ahead), fade)
        part = scratch / f"part{len(parts):04d}.mp4"
        await _render(
            clips[start : stop + ahead],
            infos[start : stop + ahead],
            part_timeline,
            part,
            size,
            what=f"{what} (part {len(parts) + 1})",
            frames=frames,
        )
        parts.append(part)
    await _concat(parts, scratch, dest, what)


async def _concat(parts: Sequence[Path], scratch: Path, dest: Path, what: str) -> None:
    """Join H.264 parts with the concat demuxer: the stream is copied, not re-encoded."""
    listing = scratch / "parts.txt"
    listing.write_text("".join(f"file '{_concat_quote(part)}'\n" for part in parts))
    await run_ffmpeg(
        [
            *("-f", "concat", "-safe", "0", "-i", str(listing)),
            *("-map", "0:v", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(dest)),
        ],
        what=f"joining {len(parts)} parts into {what}",
    )


async def render_clip_part(
    clip: Path,
    following: Path | None,
    out: Path,
    *,
    fps: int,
    width: int,
    height: int,
    transition_frames: int,
    frames: int,
) -> None:
    """One clip of a story as a part of its video, made as soon as the clip exists: the
    clip conformed to ``frames`` frames, then (with ``following``, the next clip) the
    crossfade into that clip. These are the parts ``_render_in_segments`` makes, one clip
    each, so ``join_parts`` over every clip's part gives the frames of ``assemble_video``.
    During the crossfade the incoming clip is only clones of its first frame, so a part
    needs nothing more of the next clip than that frame: it can be made the moment both
    clips exist, while later clips are still being generated."""
    check_fps(fps)
    check_frame_size(width, height)
    clips = [clip] if following is None or not transition_frames else [clip, following]
    for number, path in enumerate(clips, start=1):
        if not path.is_file():
            raise InputError(f"clip {number} of a part does not exist: {path}")
    infos = [await asyncio.to_thread(probe_video, path) for path in clips]
    timeline = Timeline(fps, (frames, *(1,) * (len(clips) - 1)), transition_frames)
    count = frames + (transition_frames if following is not None else 0)
    with scratch_dir_for(out) as scratch:
        partial = scratch / "part.mp4"
        await _render(clips, infos, timeline, partial, (width, height), what=out.name, frames=count)
        partial.replace(out)


async def join_parts(parts: Sequence[Path], out: Path, *, total_frames: int) -> VideoInfo:
    """Join clip parts (``render_clip_part``, in shot order) into the story's video
    without re-encoding them; the result is read back and checked to hold
    ``total_frames`` frames before it replaces ``out``."""
    if not parts:
        raise InputError("nothing to assemble: give at least one part")
    with scratch_dir_for(out) as scratch:
        partial = scratch / "video.mp4"
        await _concat(parts, scratch, partial, out.name)
        info = await asyncio.to_thread(probe_video, partial)
        if info.frames != total_frames:
            raise MediaError(f"assembled video has {info.frames} frames, expected {total_frames}")
        partial.replace(out)
    return info


def _concat_quote(path: Path) -> str:
    """A path inside single quotes in a concat list: ``'`` is written as ``'\\''``."""
    return str(path).replace("'", "'\\''")
