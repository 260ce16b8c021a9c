from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.probe import VideoInfo, probe_video
from tests.media.helpers import color_clip, count_decoded


async def test_counts_real_frames(tmp_path: Path) -> None:
    clip = await color_clip(tmp_path / "c.mp4", "red", size=(320, 180), fps=12, frames=17)
    info = probe_video(clip)
    assert info == VideoInfo(
        frames=17, fps=12.0, duration=17 / 12, width=320, height=180, codec="h264"
    )
    assert count_decoded(clip) == 17


async def test_edit_list_trimmed_frames_are_not_counted(tmp_path: Path) -> None:
    """A stream copy cut between keyframes keeps extra packets marked as discarded."""
    source = tmp_path / "long.mp4"
    await run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=160x90:r=24",
            "-frames:v",
            "48",
            "-g",
            "48",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(source),
        ],
        what="making a test clip",
    )
    cut = tmp_path / "cut.mp4"
    await run_ffmpeg(["-ss", "0.5", "-i", str(source), "-c", "copy", str(cut)], what="cutting")
    info = probe_video(cut)
    assert info.frames == count_decoded(cut)
    assert info.frames < 48


async def test_other_codecs(tmp_path: Path) -> None:
    clip = tmp_path / "c.avi"
    await run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:s=64x48:r=10",
            "-frames:v",
            "7",
            "-c:v",
            "mjpeg",
            str(clip),
        ],
        what="making an mjpeg clip",
    )
    info = probe_video(clip)
    assert (info.frames, info.codec, info.fps, info.width, info.height) == (7, "mjpeg", 10, 64, 48)


async def test_audio_only_file_is_refused(tmp_path: Path) -> None:
    audio = tmp_path / "a.m4a"
    await run_ffmpeg(["-f", "lavfi", "-i", "sine=d=0.2", "-c:a", "aac", str(audio)], what="audio")
    with pytest.raises(MediaError, match="no video stream"):
        probe_video(audio)


def test_unreadable_files_raise_media_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all" * 20)
    with pytest.raises(MediaError, match=r"garbage\.mp4"):
        probe_video(garbage)
    with pytest.raises(MediaError, match=r"missing\.mp4"):
        probe_video(tmp_path / "missing.mp4")
