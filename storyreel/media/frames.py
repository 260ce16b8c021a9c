"""Writing a list of frames (what a diffusers video pipeline returns) as an H.264 MP4."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image


def write_frames_mp4(frames: Sequence[Image.Image], out: Path, *, fps: int) -> None:
    """Encode ``frames`` (all one size, even sides) into ``out``, written beside it first
    and renamed, so a crash never leaves a half-written clip under the final name."""
    if not frames:
        raise ValueError("no frames to write")
    width, height = frames[0].size
    if width % 2 or height % 2:
        raise ValueError(f"frame size must be even, got {width}x{height}")
    import av  # imported on use: every command's start would pay for PyAV

    from_image: Any = av.VideoFrame.from_image  # PyAV's constructor is untyped
    tmp = out.with_name(out.name + ".part")
    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            rgb = frame.convert("RGB").resize((width, height))
            for packet in stream.encode(from_image(rgb)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(out)
