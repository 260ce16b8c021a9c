from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from storyreel.errors import InputError
from storyreel.media.timeline import Timeline, plan_timeline


def test_reference_example() -> None:
    timeline = plan_timeline([3.0, 3.0, 3.0], fps=24, transition_frames=12)
    assert timeline.clip_frames == (72, 72, 72)
    assert timeline.total_frames == 240
    assert timeline.total_duration == 10.0


def test_per_clip_durations_and_clip_starts() -> None:
    timeline = plan_timeline([1.0, 2.5, 0.5], fps=24, transition_frames=6)
    assert timeline.clip_frames == (24, 60, 12)
    assert timeline.total_frames == 24 + 60 + 12 + 2 * 6
    assert timeline.clip_starts == (0, 30, 96)
    assert timeline.total_duration == pytest.approx(108 / 24)


def test_zero_transition_is_plain_sum() -> None:
    timeline = plan_timeline([1.0, 1.0], fps=30, transition_frames=0)
    assert timeline.total_frames == 60
    assert timeline.total_duration == 2.0


def test_single_clip_has_no_transition() -> None:
    timeline = plan_timeline([2.0], fps=12, transition_frames=50)
    assert timeline.total_frames == 24
    assert timeline.clip_starts == (0,)


def test_rounding_uses_round_of_seconds_times_fps() -> None:
    assert plan_timeline([0.1], fps=30, transition_frames=0).clip_frames == (3,)
    assert plan_timeline([1.04], fps=24, transition_frames=0).clip_frames == (round(1.04 * 24),)


@pytest.mark.parametrize(
    ("durations", "fps", "transition", "needle"),
    [
        ([1.0], 0, 0, "fps"),
        ([1.0], 121, 0, "fps"),
        ([1.0], 24.0, 0, "fps"),
        ([1.0], True, 0, "fps"),
        ([], 24, 0, "at least one clip"),
        ([0.0], 24, 0, "clip 1 duration"),
        ([1.0, -2.0], 24, 0, "clip 2 duration"),
        ([math.nan], 24, 0, "duration"),
        ([math.inf], 24, 0, "duration"),
        ([0.01], 24, 0, "shorter than one frame"),
        ([1.0], 24, -1, "transition_frames"),
    ],
)
def test_invalid_input_is_refused(
    durations: list[float], fps: int, transition: int, needle: str
) -> None:
    with pytest.raises(InputError, match=needle):
        plan_timeline(durations, fps, transition)


@given(
    durations=st.lists(st.floats(min_value=0.1, max_value=20.0), min_size=1, max_size=12),
    fps=st.integers(min_value=1, max_value=120),
    transition=st.integers(min_value=0, max_value=48),
)
def test_total_is_clips_plus_inserted_transitions(
    durations: list[float], fps: int, transition: int
) -> None:
    assume(all(round(d * fps) >= 1 for d in durations))
    timeline = plan_timeline(durations, fps, transition)
    assert timeline.clip_frames == tuple(round(d * fps) for d in durations)
    expected = sum(timeline.clip_frames) + (len(durations) - 1) * transition
    assert timeline.total_frames == expected
    assert timeline.total_duration == expected / fps
    last = len(durations) - 1
    assert timeline.clip_starts[last] + timeline.clip_frames[last] == expected


def test_timeline_is_frozen() -> None:
    timeline = Timeline(fps=24, clip_frames=(1,), transition_frames=0)
    with pytest.raises(AttributeError):
        timeline.fps = 30  # type: ignore[misc]
