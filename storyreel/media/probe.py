"""Read back what a video file really contains, with PyAV.

Container headers can lie (a stale ``nb_frames``, a rounded duration), and every frame count
in storyreel is checked against arithmetic, so frames are counted by demuxing the stream
rather than trusted from metadata. Demuxing reads packets without decoding pixels, which
keeps a probe cheap enough to run after every encode.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from storyreel.errors import MediaError

if TYPE_CHECKING:
    import av


@dataclass(frozen=True)
class VideoInfo:
    """Facts about a video's first video stream; ``duration`` is derived, not read."""

    frames: int
    fps: float
    duration: float
    width: int
    height: int
    codec: str


def _frame_rate(stream: av.video.stream.VideoStream) -> Fraction | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return Fraction(rate)
    return None


def probe_video(path: Path) -> VideoInfo:
    """Count the frames of ``path`` exactly and report its geometry and codec.

    Packets flagged *discard* (outside an MP4 edit list) and empty flush packets are not
    shown by a player, so they are not counted either; what remains is one packet per frame
    for every codec we write, which is what a full decode would yield.
    """
    import av  # imported on use: every command's start would pay for PyAV

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"{path.name} has no video stream")
            stream = container.streams.video[0]
            rate = _frame_rate(stream)
            if rate is None:
                raise MediaError(f"{path.name} has no usable frame rate")
            frames = sum(
                1 for packet in container.demux(stream) if packet.size and not packet.is_discard
            )
            width = stream.codec_context.width
            height = stream.codec_context.height
            codec = stream.codec_context.name
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot read video {path.name}: {exc}") from exc
    if frames == 0:
        raise MediaError(f"{path.name} contains no video frames")
    fps = float(rate)
    return VideoInfo(
        frames=frames,
        fps=fps,
        duration=float(frames / rate),
        width=int(width),
        height=int(height),
        codec=str(codec),
    )
