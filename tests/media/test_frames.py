"""Frames (a video pipeline's output) to an MP4: every frame kept, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from storyreel.media.frames import write_frames_mp4
from storyreel.media.probe import probe_video


def test_frames_become_an_h264_clip_of_that_many_frames(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (64, 48), (i * 25, 40, 90)) for i in range(10)]
    out = tmp_path / "clip.mp4"
    write_frames_mp4(frames, out, fps=5)
    info = probe_video(out)
    assert (info.frames, info.width, info.height, info.codec) == (10, 64, 48, "h264")
    assert info.duration == pytest.approx(2.0)
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


@pytest.mark.parametrize("frames", [[], [Image.new("RGB", (63, 48))]])
def test_no_frames_or_odd_sizes_are_refused_and_nothing_is_written(
    tmp_path: Path, frames: list[Image.Image]
) -> None:
    with pytest.raises(ValueError):
        write_frames_mp4(frames, tmp_path / "clip.mp4", fps=5)
    assert list(tmp_path.iterdir()) == []
