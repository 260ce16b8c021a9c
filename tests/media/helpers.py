"""Small builders shared by the media tests: synthetic images, clips and frame readers."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import av
from PIL import Image, ImageChops, ImageDraw, ImageStat

from storyreel.media.ffmpeg import run_ffmpeg

Color = tuple[int, int, int]


def encode(img: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buf = BytesIO()
    img.save(buf, format=fmt, **params)
    return buf.getvalue()


def flat_png(size: tuple[int, int], color: Color = (200, 60, 40)) -> bytes:
    return encode(Image.new("RGB", size, color))


def pattern_image(size: tuple[int, int] = (640, 360)) -> Image.Image:
    """A grid with distinct shapes, so zooms and shifts are measurable."""
    width, height = size
    img = Image.new("RGB", size, (235, 235, 225))
    draw = ImageDraw.Draw(img)
    step = max(8, width // 16)
    for x in range(0, width, step):
        draw.line([(x, 0), (x, height)], fill=(30, 30, 30), width=2)
    for y in range(0, height, step):
        draw.line([(0, y), (width, y)], fill=(30, 30, 30), width=2)
    cx, cy = width // 2, height // 2
    r = height // 6
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(220, 30, 30))
    draw.rectangle([width // 10, cy - r, width // 10 + r, cy + r], fill=(30, 60, 220))
    draw.rectangle([width - width // 10 - r, cy - r, width - width // 10, cy], fill=(30, 170, 60))
    return img


def read_frames(path: Path) -> list[Image.Image]:
    with av.open(str(path)) as container:
        return [frame_image(frame) for frame in container.decode(video=0)]


def frame_image(frame: av.VideoFrame) -> Image.Image:
    image: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]
    return image


def count_decoded(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def mean_rgb(img: Image.Image) -> tuple[float, float, float]:
    r, g, b = ImageStat.Stat(img.convert("RGB")).mean
    return (r, g, b)


def mean_diff(a: Image.Image, b: Image.Image) -> float:
    """Average absolute difference per channel, 0..255."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


async def color_clip(
    path: Path, color: str, *, size: tuple[int, int], fps: int, frames: int
) -> Path:
    """A flat-colour H.264 clip straight from ffmpeg's lavfi source."""
    await run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"color=c={color}:s={size[0]}x{size[1]}:r={fps}",
            "-frames:v",
            str(frames),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        what="making a test clip",
    )
    return path
