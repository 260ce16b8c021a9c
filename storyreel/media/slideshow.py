"""Still images to an MP4 with crossfades (seed 001's ``/generate-video``): each scene
holds for its frames, and ``transition_frames`` blended frames are added between two
scenes, so 3 scenes x 72 frames + 2 x 12 transition frames = 240 frames."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import av
from PIL import Image

from .encode import check_frame_size


def total_frames(scenes: int, frames_per_scene: int, transition_frames: int) -> int:
    return scenes * frames_per_scene + max(scenes - 1, 0) * transition_frames


def _frames(
    stills: Sequence[Image.Image], frames_per_scene: int, transition_frames: int
) -> Iterator[Image.Image]:
    for index, still in enumerate(stills):
        for _ in range(frames_per_scene):
            yield still
        if index + 1 < len(stills):
            following = stills[index + 1]
            for step in range(1, transition_frames + 1):
                yield Image.blend(still, following, step / (transition_frames + 1))


def encode_slideshow(
    images: Sequence[bytes],
    out: Path,
    *,
    width: int,
    height: int,
    fps: int,
    frames_per_scene: int,
    transition_frames: int,
) -> int:
    """Write the MP4 to ``out`` (H.264, yuv420p); return the number of frames."""
    check_frame_size(width, height)
    stills = [
        Image.open(io.BytesIO(data)).convert("RGB").resize((width, height)) for data in images
    ]
    written = 0
    with av.open(str(out), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for still in _frames(stills, frames_per_scene, transition_frames):
            frame = av.VideoFrame.from_image(still)  # type: ignore[no-untyped-call]
            for packet in stream.encode(frame):
                container.mux(packet)
            written += 1
        for packet in stream.encode():
            container.mux(packet)
    return written
