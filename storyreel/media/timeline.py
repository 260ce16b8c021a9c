"""Frame arithmetic for a sequence of clips joined by crossfades.

Everything downstream (render lengths, ffmpeg offsets, progress bars, cost estimates) must
agree on how long a video is, so the rule lives here once and is pure integer maths:

* a clip of ``d`` seconds lasts ``round(d * fps)`` frames;
* a transition is *inserted* between two clips: it crossfades from the last frame of clip k
  to the first frame of clip k+1 over ``transition_frames`` frames and does not shorten
  either clip, so ``total = sum(clip_frames) + (n - 1) * transition_frames``.

Reference example: 3 clips of 3.0 s at 24 fps with 12 transition frames give 72 frames per
clip, 240 frames in total and 10.0 seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from storyreel.errors import InputError

MIN_FPS = 1
MAX_FPS = 120


@dataclass(frozen=True)
class Timeline:
    """Clip lengths in frames at one frame rate, plus the crossfade length between them."""

    fps: int
    clip_frames: tuple[int, ...]
    transition_frames: int

    @property
    def total_frames(self) -> int:
        return sum(self.clip_frames) + (len(self.clip_frames) - 1) * self.transition_frames

    @property
    def total_duration(self) -> float:
        return self.total_frames / self.fps

    @property
    def clip_starts(self) -> tuple[int, ...]:
        """First output frame of each clip; transitions sit in the gaps between them."""
        starts: list[int] = []
        cursor = 0
        for frames in self.clip_frames:
            starts.append(cursor)
            cursor += frames + self.transition_frames
        return tuple(starts)


def frames_for(duration: float, fps: int) -> int:
    """The single rounding rule for seconds -> frames, shared by renderers and planners."""
    return round(duration * fps)


def check_fps(fps: int) -> None:
    """Refuse frame rates ffmpeg or players would choke on, before any work starts."""
    if isinstance(fps, bool) or not isinstance(fps, int) or not MIN_FPS <= fps <= MAX_FPS:
        raise InputError(f"fps must be a whole number from {MIN_FPS} to {MAX_FPS}, got {fps!r}")


def plan_timeline(durations: Sequence[float], fps: int, transition_frames: int) -> Timeline:
    """Validate user-facing numbers and turn seconds into frame counts."""
    check_fps(fps)
    if (
        isinstance(transition_frames, bool)
        or not isinstance(transition_frames, int)
        or transition_frames < 0
    ):
        raise InputError(
            f"transition_frames must be a whole number of 0 or more, got {transition_frames!r}"
        )
    if not durations:
        raise InputError("a timeline needs at least one clip")
    clip_frames: list[int] = []
    for index, duration in enumerate(durations, start=1):
        if not math.isfinite(duration) or duration <= 0:
            raise InputError(f"clip {index} duration must be more than 0 seconds, got {duration}")
        frames = frames_for(duration, fps)
        if frames < 1:
            raise InputError(
                f"clip {index} lasts {duration} s, shorter than one frame at {fps} fps"
            )
        clip_frames.append(frames)
    return Timeline(fps=fps, clip_frames=tuple(clip_frames), transition_frames=transition_frames)
