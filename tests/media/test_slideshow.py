"""Stills to an MP4 with crossfades: the frame count is seed 001's arithmetic (3 x 72 +
2 x 12 = 240), the video is really that many frames at the asked size, the crossfade
really blends, and a frame size the encoder cannot take is refused."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from storyreel.errors import InputError
from storyreel.media.probe import probe_video
from storyreel.media.slideshow import encode_slideshow, total_frames
from tests.media.helpers import flat_png


def test_seed_001s_arithmetic() -> None:
    assert total_frames(3, 72, 12) == 240
    assert total_frames(1, 72, 12) == 72  # no transition after the last scene
    assert total_frames(0, 72, 12) == 0


def test_the_video_has_every_frame_and_blends_between_scenes(tmp_path: Path) -> None:
    out = tmp_path / "show.mp4"
    images = [flat_png((64, 48), (250, 0, 0)), flat_png((32, 32), (0, 0, 250))]
    written = encode_slideshow(
        images, out, width=64, height=48, fps=12, frames_per_scene=4, transition_frames=3
    )
    assert written == total_frames(2, 4, 3) == 11
    info = probe_video(out)
    assert (info.width, info.height, info.frames) == (64, 48, 11)
    with av.open(str(out)) as container:
        reds = [
            frame.to_image().getpixel((32, 24))[0]  # type: ignore[no-untyped-call]
            for frame in container.decode(video=0)
        ]
    assert reds[0] > 200 and reds[-1] < 50
    middle = reds[4:7]  # the three blended frames fade from red to blue
    assert all(50 < r < 220 for r in middle) and middle == sorted(middle, reverse=True)


def test_an_odd_frame_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        encode_slideshow(
            [flat_png((8, 8))],
            tmp_path / "x.mp4",
            width=63,
            height=48,
            fps=12,
            frames_per_scene=1,
            transition_frames=0,
        )
