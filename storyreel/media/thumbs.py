"""A thumbnail for a video: its first frame, the same 150 px JPEG images get."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from storyreel.errors import MediaError

from .images import make_thumbnail


def video_thumbnail(path: Path, *, size: int = 150) -> bytes:
    import av  # imported on use: every command's start would pay for PyAV

    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
            image = frame.to_image()  # type: ignore[no-untyped-call]
    except (av.FFmpegError, StopIteration) as exc:
        raise MediaError(f"cannot read a frame from {path.name}: {exc}") from exc
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return make_thumbnail(buffer.getvalue(), size=size)
