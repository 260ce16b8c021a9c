"""A video's thumbnail is its first frame as the same JPEG an image gets (longest side
``size``); a file with no decodable frame is one MediaError naming the file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from storyreel.errors import MediaError
from storyreel.media.slideshow import encode_slideshow
from storyreel.media.thumbs import video_thumbnail
from tests.media.helpers import flat_png


def test_the_first_frame_as_a_jpeg(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    frames = [flat_png((64, 32), (240, 10, 10)), flat_png((64, 32), (10, 10, 240))]
    encode_slideshow(
        frames, video, width=64, height=32, fps=12, frames_per_scene=2, transition_frames=0
    )
    thumb = Image.open(io.BytesIO(video_thumbnail(video, size=100)))
    assert (thumb.format, thumb.size) == ("JPEG", (100, 50))
    red, _, blue = thumb.convert("RGB").getpixel((50, 25))
    assert red > 180 and blue < 80  # the first scene, not the last


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 10])
def test_an_unreadable_video_is_one_media_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(content)
    with pytest.raises(MediaError, match=r"cannot read a frame from broken\.mp4"):
        video_thumbnail(bad)
