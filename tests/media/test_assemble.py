from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import av
import pytest

from storyreel import procinfo
from storyreel.config import Settings
from storyreel.engine.app import Engine
from storyreel.errors import InputError, MediaError
from storyreel.media import assemble as assemble_module
from storyreel.media.assemble import assemble_video
from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.motion import MotionKind, render_motion_clip
from storyreel.media.probe import VideoInfo, probe_video
from storyreel.media.timeline import plan_timeline
from tests.media.helpers import (
    color_clip,
    count_decoded,
    encode,
    mean_diff,
    mean_rgb,
    pattern_image,
    read_frames,
)
from tests.proc_helpers import pids_with_arg, wait_until_gone

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


async def _pattern_clip(path: Path, *, fps: int, frames: int, size: tuple[int, int]) -> Path:
    """A moving test pattern, so held and trimmed frames can be told apart."""
    await run_ffmpeg(
        [
            *("-f", "lavfi", "-i", f"testsrc2=s={size[0]}x{size[1]}:r={fps}"),
            *("-frames:v", str(frames), "-c:v", "libx264", "-preset", "ultrafast"),
            *("-pix_fmt", "yuv420p", str(path)),
        ],
        what="making a test clip",
    )
    return path


async def test_clips_are_conformed_to_their_planned_durations(tmp_path: Path) -> None:
    # The model returned 8 frames for a 1.25 s shot (short) and 2.5 s for a 1 s shot (long).
    short = await _pattern_clip(tmp_path / "short.mp4", fps=FPS, frames=8, size=(W, H))
    long = await color_clip(tmp_path / "long.mp4", BLUE, size=(W, H), fps=24, frames=60)
    exact = await color_clip(tmp_path / "exact.mp4", GREEN, size=(W, H), fps=FPS, frames=6)
    planned = [1.25, 1.0, 0.5]
    transition = 3
    out = tmp_path / "planned.mp4"
    info = await assemble_video(
        [short, long, exact],
        out,
        fps=FPS,
        width=W,
        height=H,
        transition_frames=transition,
        durations=planned,
    )
    expected = plan_timeline(planned, FPS, transition)
    assert expected.clip_frames == (15, 12, 6)
    assert expected.total_frames == 15 + 12 + 6 + 2 * transition
    read_back = probe_video(out)
    assert read_back.frames == info.frames == expected.total_frames
    frames = read_frames(out)
    assert len(frames) == expected.total_frames
    source = read_frames(short)
    # The short clip plays its 8 frames, then holds its last one to the planned 15.
    assert mean_diff(frames[0], source[0]) < 4
    assert mean_diff(frames[7], source[7]) < 4
    assert mean_diff(source[0], source[7]) > 4
    for held in range(8, 15):
        assert mean_diff(frames[held], source[7]) < 4
    # The long clip is cut to 12 frames: the green clip starts where the plan says.
    blue_start, green_start = expected.clip_starts[1:]
    assert mean_rgb(frames[blue_start])[2] > 200
    assert mean_rgb(frames[blue_start + 11])[2] > 200
    assert mean_rgb(frames[green_start])[1] > 200
    assert mean_rgb(frames[-1])[1] > 200


async def test_planned_durations_must_match_the_clips(
    flat_clips: list[Path], tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="2 planned durations given for 3 clips"):
        await assemble_video(
            flat_clips,
            tmp_path / "x.mp4",
            fps=FPS,
            width=W,
            height=H,
            transition_frames=0,
            durations=[1.0, 1.0],
        )


_ASSEMBLE_SCRIPT = """
import asyncio, sys
from pathlib import Path
from storyreel.media import assemble as assemble_module
from storyreel.media.assemble import assemble_video
out, *clips = sys.argv[1:]
asyncio.run(assemble_video(
    [Path(c) for c in clips], Path(out), fps=24, width=1280, height=720, transition_frames=12
))
"""


@pytest.mark.skipif(not procinfo.has_proc(), reason="needs Linux /proc")
async def test_a_killed_assembly_leaves_no_ffmpeg_and_the_next_start_sweeps_its_scratch(
    settings: Settings, tmp_path: Path
) -> None:
    clips = [
        await _pattern_clip(tmp_path / f"long{i}.mp4", fps=FPS, frames=240, size=(W, H))
        for i in range(2)
    ]
    out = settings.data_path / "scratch" / "assembly" / "film.mp4"
    out.parent.mkdir(parents=True)
    needle = str(out.parent / ".film.mp4.")  # the scratch output's path in ffmpeg's argv
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _ASSEMBLE_SCRIPT, str(out), *map(str, clips)
    )
    try:
        deadline = time.monotonic() + 30
        while not pids_with_arg(needle):
            assert child.returncode is None, "the assembly ended before it could be killed"
            assert time.monotonic() < deadline, "ffmpeg never started"
            await asyncio.sleep(0.05)
    finally:
        child.kill()
        await child.wait()
    assert wait_until_gone(needle, timeout=2.0) == []
    leftovers = [p for p in out.parent.iterdir() if p.name.startswith(".film.mp4.")]
    assert leftovers, "the killed process left no scratch folder: nothing was tested"
    async with Engine(settings):
        assert list(out.parent.iterdir()) == []
    assert not out.exists()


async def test_long_stories_are_encoded_in_parts_with_the_same_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    colours = (RED, GREEN, BLUE, "0xFFFF00", "0xFF00FF", "0x00FFFF", "0xFFFFFF")
    clips = [
        await color_clip(tmp_path / f"{i}.mp4", c, size=(W, H), fps=FPS, frames=6 + i)
        for i, c in enumerate(colours)
    ]
    planned = [0.5 + i / FPS for i in range(len(clips))]
    planned[2] = 1.5  # a short clip, held, on a segment boundary
    folder = tmp_path / "it's here"  # the concat list must quote the parts' paths

    async def make(name: str) -> VideoInfo:
        return await assemble_video(
            clips, folder / name, fps=FPS, width=W, height=H, transition_frames=4, durations=planned
        )

    whole = await make("whole.mp4")
    monkeypatch.setattr(assemble_module, "CLIPS_PER_SEGMENT", 3)
    parts = await make("parts.mp4")
    expected = plan_timeline(planned, FPS, 4)
    assert whole.frames == parts.frames == expected.total_frames
    assert probe_video(folder / "parts.mp4") == parts
    one, joined = read_frames(folder / "whole.mp4"), read_frames(folder / "parts.mp4")
    assert len(joined) == expected.total_frames
    assert max(mean_diff(a, b) for a, b in zip(one, joined, strict=True)) < 3
    with av.open(str(folder / "parts.mp4")) as container:
        stream = container.streams.video[0]
        times = [f.time for f in container.decode(stream)]
    assert times == pytest.approx([i / FPS for i in range(expected.total_frames)], abs=1e-3)
    assert sorted(p.name for p in folder.iterdir()) == ["parts.mp4", "whole.mp4"]


async def test_clip_parts_made_one_by_one_join_into_the_same_video(tmp_path: Path) -> None:
    """A story's parts are made clip by clip while later clips are still generating; joined
    without re-encoding they are the frames of the one-graph assembly."""
    colours = (RED, GREEN, BLUE, "0xFFFF00")
    clips = [
        await color_clip(tmp_path / f"{i}.mp4", c, size=(W, H), fps=FPS, frames=6 + i)
        for i, c in enumerate(colours)
    ]
    planned = [0.5 + i / FPS for i in range(len(clips))]
    planned[1] = 1.5  # shorter than planned: its last frame is held
    expected = plan_timeline(planned, FPS, 3)
    whole = await assemble_video(
        clips,
        tmp_path / "whole.mp4",
        fps=FPS,
        width=W,
        height=H,
        transition_frames=3,
        durations=planned,
    )
    parts = []
    for i, clip in enumerate(clips):
        part = tmp_path / f"part{i}.mp4"
        following = clips[i + 1] if i + 1 < len(clips) else None
        await assemble_module.render_clip_part(
            clip,
            following,
            part,
            fps=FPS,
            width=W,
            height=H,
            transition_frames=3,
            frames=expected.clip_frames[i],
        )
        parts.append(part)
    joined = await assemble_module.join_parts(
        parts, tmp_path / "joined.mp4", total_frames=expected.total_frames
    )
    assert whole.frames == joined.frames == expected.total_frames
    one, other = read_frames(tmp_path / "whole.mp4"), read_frames(tmp_path / "joined.mp4")
    assert max(mean_diff(a, b) for a, b in zip(one, other, strict=True)) < 3
    with av.open(str(tmp_path / "joined.mp4")) as container:
        times = [f.time for f in container.decode(container.streams.video[0])]
    assert times == pytest.approx([i / FPS for i in range(expected.total_frames)], abs=1e-3)
    with pytest.raises(MediaError, match="expected"):
        await assemble_module.join_parts(
            parts[:-1], tmp_path / "short.mp4", total_frames=expected.total_frames
        )
