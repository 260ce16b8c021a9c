"""A story's progress in words: panels and clips are counted apart by task, only succeeded
jobs count as finished, and the stage follows the slowest step (a failed job anywhere
makes the story failed, whatever else has finished)."""

from __future__ import annotations

from typing import Any

import pytest

from storyreel.services.progress import _stage, finished

COUNTS = {
    ("text-to-image", "succeeded"): 3,
    ("image-to-image", "succeeded"): 1,
    ("text-to-image", "failed"): 2,
    ("image-to-video", "succeeded"): 2,
    ("text-to-video", "succeeded"): 1,
    ("image-to-video", "running"): 4,
}


def test_finished_counts_succeeded_panels_and_clips_apart() -> None:
    assert finished(COUNTS, video=False) == 4
    assert finished(COUNTS, video=True) == 3
    assert finished({}, video=True) == 0


def shots(*states: tuple[str | None, str | None]) -> list[dict[str, Any]]:
    return [{"panel": panel, "clip": clip} for panel, clip in states]


@pytest.mark.parametrize(
    ("states", "stage"),
    [
        ((), "planned"),
        (((None, None), (None, None)), "planned"),
        ((("running", None), (None, None)), "panels"),
        ((("succeeded", None), ("running", None)), "panels"),
        ((("succeeded", "running"), ("succeeded", None)), "clips"),
        ((("succeeded", "succeeded"), ("succeeded", "succeeded")), "assembling"),
        ((("succeeded", "succeeded"), ("failed", None)), "failed"),
        ((("succeeded", "canceled"), ("succeeded", "succeeded")), "failed"),
    ],
)
def test_the_stage_follows_the_slowest_step(
    states: tuple[tuple[str | None, str | None], ...], stage: str
) -> None:
    assert _stage(shots(*states)) == stage
