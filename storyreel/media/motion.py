"""Turn one still image into a short clip with a Ken Burns camera move.

Image models give us stills; a slow push, pull, pan or tilt is the cheapest way to make a
storyboard feel like film. The move is done by ffmpeg's ``zoompan`` on a supersampled copy
of the image: zoompan crops at whole-pixel positions, so at output resolution a slow move
visibly stair-steps, while on a source 2-4x larger each step is a fraction of an output
pixel and the motion reads as smooth. Easing (smoothstep) avoids a jolt at both ends.
"""

from __future__ import annotations

import asyncio
import math
import re
from enum import StrEnum
from pathlib import Path

from PIL import Image

from storyreel.errors import InputError, MediaError
from storyreel.media.encode import check_frame_size, h264_output_args, scratch_dir_for
from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.images import decode_image, flatten_rgb
from storyreel.media.probe import probe_video
from storyreel.media.timeline import check_fps, frames_for

# How far push_in/pull_out travel: the tight end shows 1/1.18 of the wide end's width.
ZOOM_AMOUNT = 0.18
# Pans and tilts need spare picture to travel across; this zoom leaves ~13% of the frame.
PAN_ZOOM = 1.15
# Cap on the supersampled source so 1080p renders stay fast (the factor drops to 2 there).
_MAX_SOURCE_PIXELS = 12_000_000
_MAX_SUPERSAMPLE = 4
# The input image's own limits: big enough for any model output, small enough to be safe.
_MAX_IMAGE_BYTES = 64 * 1024 * 1024
_MAX_IMAGE_PIXELS = 60_000_000


class MotionKind(StrEnum):
    """Camera moves we can fake from a still; values are what prompts and configs use."""

    PUSH_IN = "push_in"
    PULL_OUT = "pull_out"
    PAN_LEFT = "pan_left"
    PAN_RIGHT = "pan_right"
    TILT_UP = "tilt_up"
    TILT_DOWN = "tilt_down"
    STATIC = "static"


# An adverb may sit between verb and particle: "zooms slowly in".
_ADVERB = r"(?:\s+\w+ly)?"
_DIRECTED: tuple[tuple[MotionKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            MotionKind.PUSH_IN,
            rf"\b(?:zoom|push|dolly|dollies|track|truck|move|creep|close)\w*{_ADVERB}"
            r"\s+(?:in|into|forward|closer|towards?)\b",
        ),
        (
            MotionKind.PULL_OUT,
            rf"\b(?:zoom|pull|dolly|dollies|track|truck|move|draw)\w*{_ADVERB}"
            r"\s+(?:out|back|backwards?|away)\b",
        ),
        (
            MotionKind.PAN_LEFT,
            r"\b(?:pan|track|truck|slide|drift|move|glide)\w*(?:\s+\w+){0,3}?\s+left(?:wards?)?\b",
        ),
        (
            MotionKind.PAN_RIGHT,
            r"\b(?:pan|track|truck|slide|drift|move|glide)\w*(?:\s+\w+){0,3}?\s+right(?:wards?)?\b",
        ),
        (
            MotionKind.TILT_UP,
            rf"\b(?:tilt|crane|boom|pedestal|look|rise|rising|rises)\w*{_ADVERB}"
            r"\s+(?:up|upwards?|skywards?)\b",
        ),
        (
            MotionKind.TILT_DOWN,
            rf"\b(?:tilt|crane|boom|pedestal|look|descend)\w*{_ADVERB}\s+(?:down|downwards?)\b",
        ),
    )
)
_STATIC = re.compile(
    r"\b(?:static|still|locked[\s-]*off|lock[\s-]*off|fixed|stationary|no\s+(?:camera\s+)?"
    r"(?:movement|motion|move))\b"
)
# Bare verbs without a direction, used only when nothing more specific matched.
_UNDIRECTED: tuple[tuple[MotionKind, re.Pattern[str]], ...] = (
    (MotionKind.PUSH_IN, re.compile(r"\b(?:zoom|push|dolly)\w*\b")),
    (MotionKind.PULL_OUT, re.compile(r"\b(?:pull|reveal)\w*\b")),
    (MotionKind.PAN_RIGHT, re.compile(r"\bpan(?:s|ning|ned)?\b")),
    (MotionKind.TILT_UP, re.compile(r"\btilt\w*\b")),
)


def motion_from_prompt(text: str) -> MotionKind:
    """Read a camera move out of free text, falling back to a still camera.

    Explicit moves ("zooms in", "pans to the left") win over the word "still" because
    prompts often say "a still image slowly zooms in"; when several moves are named the
    first one mentioned is used, since we can only render one.
    """
    lowered = " ".join(text.lower().replace("-", " ").split())
    found = [(m.start(), kind) for kind, pat in _DIRECTED if (m := pat.search(lowered))]
    if found:
        return min(found, key=lambda hit: hit[0])[1]
    if _STATIC.search(lowered):
        return MotionKind.STATIC
    loose = [(m.start(), kind) for kind, pat in _UNDIRECTED if (m := pat.search(lowered))]
    if loose:
        return min(loose, key=lambda hit: hit[0])[1]
    return MotionKind.STATIC


def _zoompan_exprs(motion: MotionKind, frames: int) -> tuple[str, str, str]:
    """zoom, x and y expressions for zoompan; ``on`` is the output frame index from 0."""
    p = f"(on/{max(frames - 1, 1)})"
    ease = f"({p}*{p}*(3-2*{p}))"
    centre_x = "(iw-iw/zoom)/2"
    centre_y = "(ih-ih/zoom)/2"
    if motion is MotionKind.PUSH_IN:
        return f"1+{ZOOM_AMOUNT}*{ease}", centre_x, centre_y
    if motion is MotionKind.PULL_OUT:
        return f"{1 + ZOOM_AMOUNT}-{ZOOM_AMOUNT}*{ease}", centre_x, centre_y
    if motion is MotionKind.PAN_LEFT:
        return f"{PAN_ZOOM}", f"(iw-iw/zoom)*(1-{ease})", centre_y
    if motion is MotionKind.PAN_RIGHT:
        return f"{PAN_ZOOM}", f"(iw-iw/zoom)*{ease}", centre_y
    if motion is MotionKind.TILT_UP:
        return f"{PAN_ZOOM}", centre_x, f"(ih-ih/zoom)*(1-{ease})"
    if motion is MotionKind.TILT_DOWN:
        return f"{PAN_ZOOM}", centre_x, f"(ih-ih/zoom)*{ease}"
    return "1", "0", "0"


def _supersample(motion: MotionKind, width: int, height: int) -> int:
    if motion is MotionKind.STATIC:
        return 1
    fit = math.isqrt(_MAX_SOURCE_PIXELS // (width * height))
    return max(1, min(_MAX_SUPERSAMPLE, fit))


def _prepare_source(image: Path, dest: Path, width: int, height: int) -> None:
    """Cover-crop the still to the output aspect at the supersampled size, as raw PPM.

    Done in Pillow rather than ffmpeg so EXIF rotation and alpha are handled the same way
    as everywhere else, and PPM because ffmpeg reads it back with no decode cost.
    """
    try:
        if image.stat().st_size > _MAX_IMAGE_BYTES:  # refuse before reading it all into memory
            raise InputError(f"image {image.name} is larger than {_MAX_IMAGE_BYTES} bytes")
        data = image.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read image {image}: {exc.strerror or exc}") from exc
    img = flatten_rgb(
        decode_image(
            data, max_bytes=_MAX_IMAGE_BYTES, max_pixels=_MAX_IMAGE_PIXELS, name=image.name
        )
    )
    src_w, src_h = img.size
    scale = max(width / src_w, height / src_h)
    crop_w, crop_h = width / scale, height / scale
    left, top = (src_w - crop_w) / 2, (src_h - crop_h) / 2
    box = (left, top, left + crop_w, top + crop_h)
    img = img.resize((width, height), Image.Resampling.BICUBIC, box=box, reducing_gap=3.0)
    img.save(dest, format="PPM")


def _validate(duration: float, fps: int, width: int, height: int) -> int:
    check_fps(fps)
    check_frame_size(width, height)
    if not math.isfinite(duration) or duration <= 0:
        raise InputError(f"clip duration must be more than 0 seconds, got {duration}")
    frames = frames_for(duration, fps)
    if frames < 1:
        raise InputError(f"clip duration {duration} s is shorter than one frame at {fps} fps")
    return frames


async def render_motion_clip(
    image: Path,
    out: Path,
    *,
    motion: MotionKind,
    duration: float,
    fps: int,
    width: int,
    height: int,
) -> None:
    """Render exactly ``round(duration * fps)`` frames of ``motion`` over ``image`` to ``out``.

    The MP4 is written to a scratch folder beside ``out`` and renamed into place only after
    its frame count has been read back, so ``out`` is either absent, old, or complete.
    """
    frames = _validate(duration, fps, width, height)
    try:
        motion = MotionKind(motion)
    except ValueError as exc:
        choices = ", ".join(MotionKind)
        raise InputError(f"unknown motion {motion!r}; use one of: {choices}") from exc
    factor = _supersample(motion, width, height)
    with scratch_dir_for(out) as scratch:
        source = scratch / "source.ppm"
        partial = scratch / "clip.mp4"
        await asyncio.to_thread(_prepare_source, image, source, width * factor, height * factor)
        zoom, x, y = _zoompan_exprs(motion, frames)
        # zoompan takes no RGB input; 4:4:4 rather than 4:2:0 so chroma is cropped at the
        # same sub-pixel steps as luma instead of snapping to 2-pixel ones.
        graph = (
            f"format=yuv444p,zoompan=z='{zoom}':x='{x}':y='{y}'"
            f":d={frames}:s={width}x{height}:fps={fps},setsar=1,format=yuv420p"
        )
        args = ["-i", str(source), "-vf", graph, "-frames:v", str(frames)]
        await run_ffmpeg(
            [*args, *h264_output_args(), str(partial)],
            what=f"rendering {motion.value} clip from {image.name}",
        )
        info = await asyncio.to_thread(probe_video, partial)
        if info.frames != frames or (info.width, info.height) != (width, height):
            raise MediaError(
                f"rendered clip has {info.frames} frames at {info.width}x{info.height}, "
                f"expected {frames} at {width}x{height}"
            )
        partial.replace(out)
