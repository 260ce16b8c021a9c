from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.errors import InputError, MediaError
from storyreel.media.assemble import assemble_video
from storyreel.media.motion import MotionKind, render_motion_clip
from storyreel.media.probe import probe_video
from storyreel.media.timeline import plan_timeline
from tests.media.helpers import (
    color_clip,
    count_decoded,
    encode,
    mean_rgb,
    pattern_image,
    read_frames,
)

W, H, FPS = 320, 180, 12
RED, GREEN, BLUE = "0xFF0000", "0x00FF00", "0x0000FF"


@pytest.fixture
async def flat_clips(tmp_path: Path) -> list[Path]:
    """Three 1 s flat-colour clips: red, green, blue."""
    return [
        await color_clip(tmp_path / f"{i}.mp4", c, size=(W, H), fps=FPS, frames=FPS)
        for i, c in enumerate((RED, GREEN, BLUE))
    ]


def _between(value: float, a: float, b: float, margin: float = 20) -> bool:
    low, high = sorted((a, b))
    return low + margin < value < high - margin


async def test_three_clips_with_transitions_follow_the_timeline(
    flat_clips: list[Path], tmp_path: Path
) -> None:
    transition = 5
    out = tmp_path / "movie.mp4"
    info = await assemble_video(
        flat_clips, out, fps=FPS, width=W, height=H, transition_frames=transition
    )
    expected = plan_timeline([1.0, 1.0, 1.0], FPS, transition)
    assert expected.total_frames == 3 * 12 + 2 * 5
    read_back = probe_video(out)
    assert info == read_back
    assert read_back.frames == expected.total_frames
    assert read_back.duration == pytest.approx(expected.total_duration)
    assert (read_back.width, read_back.height, read_back.codec) == (W, H, "h264")

    frames = read_frames(out)
    assert len(frames) == expected.total_frames
    red, green, blue = (mean_rgb(frames[i]) for i in expected.clip_starts)
    assert red[0] > 200 and green[1] > 200 and blue[2] > 200
    # The clips keep every frame: the transition sits between clip ends, not inside them.
    for clip, start in enumerate(expected.clip_starts):
        for offset in (0, expected.clip_frames[clip] - 1):
            assert mean_rgb(frames[start + offset]) == pytest.approx(
                (red, green, blue)[clip], abs=6
            )
    # Midway through each transition, every channel is a blend of both neighbours.
    for k, (before, after) in enumerate(((red, green), (green, blue))):
        mid = expected.clip_starts[k] + expected.clip_frames[k] + transition // 2
        blend = mean_rgb(frames[mid])
        for channel in range(3):
            if abs(before[channel] - after[channel]) > 100:
                assert _between(blend[channel], before[channel], after[channel])


async def test_one_frame_transition_is_a_real_mix(flat_clips: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "movie.mp4"
    info = await assemble_video(
        flat_clips[:2], out, fps=FPS, width=W, height=H, transition_frames=1
    )
    assert info.frames == 25
    r, g, _ = mean_rgb(read_frames(out)[12])
    assert 90 < r < 165 and 90 < g < 165


async def test_zero_transition_is_a_plain_concat(flat_clips: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "cut.mp4"
    info = await assemble_video(flat_clips, out, fps=FPS, width=W, height=H, transition_frames=0)
    assert info.frames == 36
    assert count_decoded(out) == 36
    frames = read_frames(out)
    assert mean_rgb(frames[11])[0] > 200
    assert mean_rgb(frames[12])[1] > 200
    assert mean_rgb(frames[24])[2] > 200


async def test_single_clip(flat_clips: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "one.mp4"
    info = await assemble_video(
        flat_clips[:1], out, fps=FPS, width=W, height=H, transition_frames=6
    )
    assert info.frames == 12
    assert count_decoded(out) == 12


async def test_mixed_sizes_and_rates_are_normalised(tmp_path: Path) -> None:
    clips = [
        await color_clip(tmp_path / "square.mp4", RED, size=(240, 240), fps=25, frames=25),
        await color_clip(tmp_path / "big.mp4", GREEN, size=(640, 360), fps=24, frames=36),
        await color_clip(tmp_path / "small.mp4", BLUE, size=(160, 90), fps=FPS, frames=6),
    ]
    out = tmp_path / "mixed.mp4"
    info = await assemble_video(clips, out, fps=FPS, width=W, height=H, transition_frames=2)
    # 1 s @25 -> 12 frames, 1.5 s @24 -> 18, 0.5 s @12 -> 6; plus 2 transitions of 2.
    assert info.frames == 12 + 18 + 6 + 2 * 2
    assert (info.width, info.height, info.fps) == (W, H, FPS)
    frames = read_frames(out)
    assert len(frames) == info.frames
    assert {f.size for f in frames} == {(W, H)}
    # The square clip is pillarboxed (aspect kept), not stretched.
    square = frames[0]
    assert max(square.getpixel((5, H // 2))) < 30  # type: ignore[arg-type]
    assert square.getpixel((W // 2, H // 2))[0] > 200  # type: ignore[index]
    assert mean_rgb(frames[-1])[2] > 200


async def test_assembles_rendered_motion_clips(tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    still.write_bytes(encode(pattern_image((320, 180))))
    clips = []
    for i, motion in enumerate((MotionKind.PUSH_IN, MotionKind.PAN_LEFT)):
        clip = tmp_path / f"m{i}.mp4"
        await render_motion_clip(still, clip, motion=motion, duration=1, fps=FPS, width=W, height=H)
        clips.append(clip)
    info = await assemble_video(
        clips, tmp_path / "film.mp4", fps=FPS, width=W, height=H, transition_frames=3
    )
    assert info.frames == 27


async def test_failures_are_reported(flat_clips: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "x.mp4"
    with pytest.raises(InputError, match="at least one clip"):
        await assemble_video([], out, fps=FPS, width=W, height=H, transition_frames=0)
    with pytest.raises(InputError, match="clip 2 does not exist"):
        await assemble_video(
            [flat_clips[0], tmp_path / "nope.mp4"],
            out,
            fps=FPS,
            width=W,
            height=H,
            transition_frames=0,
        )
    with pytest.raises(InputError, match="even"):
        await assemble_video(flat_clips, out, fps=FPS, width=321, height=H, transition_frames=0)
    with pytest.raises(InputError, match="transition_frames"):
        await assemble_video(flat_clips, out, fps=FPS, width=W, height=H, transition_frames=-1)
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"definitely not a video" * 10)
    with pytest.raises(MediaError, match=r"garbage\.mp4"):
        await assemble_video([garbage], out, fps=FPS, width=W, height=H, transition_frames=0)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.mp4", "1.mp4", "2.mp4", "garbage.mp4"]


async def test_output_replaces_an_existing_file(flat_clips: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "movie.mp4"
    out.write_bytes(b"old")
    await assemble_video(flat_clips[:2], out, fps=FPS, width=W, height=H, transition_frames=0)
    assert probe_video(out).frames == 24
