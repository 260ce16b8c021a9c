"""Assembly speed: 12 clips at 720p with crossfades, storyreel vs the references.

* storyreel: ``media.assemble.assemble_video`` (probing, segments, the read-back check);
* bare ffmpeg: one ffmpeg command (imageio-ffmpeg's binary) running the same filtergraph
  over every clip with the same encoder settings: the same 996 frames, and the floor any
  assembler built on ffmpeg can reach;
* MoviePy: the same clips cut to the same total frame count with the same crossfade
  length, encoded with the same x264 preset and CRF. MoviePy is never a storyreel
  dependency: it is installed into a throwaway virtual environment of the benchmark's own
  (kept in ~/.cache/storyreel-bench so later runs skip the install), and skipped with a
  note when it cannot be installed.

    python bench/assembly_speed.py
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from storyreel.media.assemble import assemble_video, build_filtergraph
from storyreel.media.encode import h264_output_args
from storyreel.media.ffmpeg import ffmpeg_exe
from storyreel.media.probe import probe_video
from storyreel.media.timeline import plan_timeline

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Result

CLIPS, FPS, WIDTH, HEIGHT = 12, 24, 1280, 720
CLIP_SECONDS, TRANSITION = 3.0, 12
SOURCE_FRAMES = 96  # longer than planned: every assembler trims

MOVIEPY_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from moviepy import VideoFileClip, concatenate_videoclips, vfx

    out, frames, transition, fps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), 24
    overlap = transition / fps
    clips = []
    for i, path in enumerate(sys.argv[4:]):
        clip = VideoFileClip(path, audio=False).subclipped(0, frames / fps)
        clip = clip.resized((1280, 720))
        clips.append(clip if i == 0 else clip.with_effects([vfx.CrossFadeIn(overlap)]))
    started = time.perf_counter()
    video = concatenate_videoclips(clips, method="compose", padding=-overlap)
    video.write_videofile(
        out, fps=fps, codec="libx264", preset="veryfast", audio=False, logger=None,
        ffmpeg_params=["-crf", "18", "-pix_fmt", "yuv420p"],
    )
    print(time.perf_counter() - started)
    """
)


def _make_clips(root: Path) -> list[Path]:
    clips = []
    for index in range(CLIPS):
        clip = root / f"clip{index:02d}.mp4"
        source = f"testsrc2=s={WIDTH}x{HEIGHT}:r={FPS}"
        command = [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", source]
        command += ["-vf", f"hue=h={index * 30}", "-frames:v", str(SOURCE_FRAMES)]
        command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip)]
        subprocess.run(command, check=True)
        clips.append(clip)
    return clips


def _storyreel(clips: list[Path], out: Path) -> tuple[float, int]:
    started = time.perf_counter()
    info = asyncio.run(
        assemble_video(
            clips,
            out,
            fps=FPS,
            width=WIDTH,
            height=HEIGHT,
            transition_frames=TRANSITION,
            durations=[CLIP_SECONDS] * CLIPS,
        )
    )
    return time.perf_counter() - started, info.frames


def _bare_ffmpeg(clips: list[Path], out: Path) -> tuple[float, int]:
    infos = [probe_video(clip) for clip in clips]
    timeline = plan_timeline([CLIP_SECONDS] * CLIPS, FPS, TRANSITION)
    graph = build_filtergraph(infos, timeline, width=WIDTH, height=HEIGHT)
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    command += [arg for clip in clips for arg in ("-i", str(clip))]
    command += ["-filter_complex", graph, "-map", "[vout]"]
    command += ["-frames:v", str(timeline.total_frames), *h264_output_args(), str(out)]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started, probe_video(out).frames


def _moviepy_python() -> tuple[Path | None, str]:
    """The throwaway venv's interpreter, installing MoviePy on first use."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    venv = cache / "storyreel-bench" / "moviepy-venv"
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import moviepy"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python, ""
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "moviepy"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"skipped: MoviePy could not be installed ({type(exc).__name__})"
    return python, ""


def _moviepy(python: Path, clips: list[Path], out: Path) -> tuple[float, int]:
    # MoviePy's crossfades overlap the clips, ours insert frames: its clips are made
    # longer so that the overlapped total is our frame count.
    total = plan_timeline([CLIP_SECONDS] * CLIPS, FPS, TRANSITION).total_frames
    frames = (total + (CLIPS - 1) * TRANSITION) // CLIPS
    script = out.parent / "moviepy_assemble.py"  # not moviepy.py: it would shadow the package
    script.write_text(MOVIEPY_SCRIPT)
    started = time.perf_counter()
    command = [str(python), str(script), str(out), str(frames), str(TRANSITION)]
    done = subprocess.run([*command, *map(str, clips)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"MoviePy failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, probe_video(out).frames


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clips = _make_clips(root)
        ours, frames = _storyreel(clips, root / "storyreel.mp4")
        bare, bare_frames = _bare_ffmpeg(clips, root / "bare.mp4")
        what = f"{CLIPS} clips {WIDTH}x{HEIGHT}, {TRANSITION}-frame crossfades, {frames} frames"
        results = [
            Result(
                "assembly vs bare ffmpeg",
                ours,
                "s",
                bare,
                "one ffmpeg command, same graph",
                note=f"{what}; ffmpeg made {bare_frames}",
            )
        ]
        python, skipped = _moviepy_python()
        if python is None:
            return [*results, Result("assembly vs MoviePy", ours, "s", note=skipped)]
        movie, movie_frames = _moviepy(python, clips, root / "moviepy_out.mp4")
        results.append(
            Result(
                "assembly vs MoviePy",
                ours,
                "s",
                movie,
                "MoviePy 2, own venv",
                note=f"MoviePy made {movie_frames} frames (process start included)",
            )
        )
    return results


if __name__ == "__main__":
    for result in run():
        print(result)
