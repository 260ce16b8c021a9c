"""Money at the edge: a story is checked and priced before its first job, and a budget
below its estimate refuses to start, each with one line and nothing created."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.cli.common import EXIT_BUDGET, EXIT_CONFIG
from tests.e2e.helpers import cli_env, query, storyreel

STORY = """
title: Paid story
characters:
  - {name: Ada, description: a woman in a yellow coat}
beats:
  - setting: park at noon
    shots:
      - {action: Ada reads, characters: [Ada], duration: 2.5}
      - {action: The wind turns the pages, duration: 6}
render: {image_model: flux-2-pro, video_model: kling, width: 1920, height: 1080, sheets: "off"}
"""
# 2 panels x $0.045 (1920x1080 = 2 MP) + kling 5 s $0.35 + 10 s $0.70 = $1.14


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


def jobs_in(data: Path) -> list[tuple[object, ...]]:
    return query(data, "SELECT id FROM jobs")


def test_a_provider_without_a_key_stops_the_story_before_any_job(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(STORY)
    data = tmp_path / "data"
    result = storyreel("story", "run", "story.yaml", env=cli_env(data), cwd=tmp_path)
    assert result.returncode == EXIT_CONFIG  # the machine's set-up, not the story file
    line = one_error_line(result.stderr)
    assert "shots 1, 2: provider 'fal' has no API key here" in line
    assert "STORYREEL_PROVIDERS__FAL__API_KEY" in line
    assert jobs_in(data) == []


@pytest.mark.parametrize("where", ["flag", "file"])
def test_a_budget_below_the_estimate_refuses_to_start(tmp_path: Path, where: str) -> None:
    story = STORY + ("budget: 1.00\n" if where == "file" else "")
    (tmp_path / "story.yaml").write_text(story)
    data = tmp_path / "data"
    env = cli_env(
        data,
        STORYREEL_PROVIDERS__FAL__API_KEY="never-used",
        STORYREEL_PROVIDERS__FAL__BASE_URL="http://127.0.0.1:9",
    )
    flag = ["--budget", "1.00"] if where == "flag" else []
    result = storyreel("story", "run", "story.yaml", *flag, env=env, cwd=tmp_path)
    assert result.returncode == EXIT_BUDGET == 6, result.stdout
    assert "estimate: $1.14 (panels $0.09, clips $1.05)" in result.stdout
    line = one_error_line(result.stderr)
    assert "this run would cost $1.14" in line and "over the budget of $1.00" in line
    assert jobs_in(data) == []


def test_generate_refuses_a_job_above_its_budget(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data", STORYREEL_PROVIDERS__FAL__API_KEY="never-used")
    result = storyreel(
        "generate", "image", "-m", "flux-2-pro", "-p", "a storm", "--width", "1920",
        "--height", "1080", "--budget", "0.04", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == EXIT_BUDGET
    line = one_error_line(result.stderr)
    assert line == (
        "error: fal:fal-ai/flux-2-pro: this job is estimated at $0.045, over the budget of "
        "$0.04; nothing was submitted"
    )
    assert jobs_in(tmp_path / "data") == []


NARRATED = """
title: Narrated
beats:
  - narration: "The storm rolls in from the west, and the harbour lamps go out one by one."
    shots:
      - {action: The harbour at dusk, duration: 2}
sound: {voice_model: tts-1}
render: {image_model: sketch:previz, video_model: motion:kenburns, width: 320, height: 180}
"""
# Panels and clips are free (offline); only the narration (OpenAI tts-1) costs money.


def test_a_budget_counts_the_narration_too(tmp_path: Path) -> None:
    """The pre-run check adds the voice jobs still to buy: a run whose panels and clips
    are free but whose narration is not may not start on a $0 budget."""
    (tmp_path / "story.yaml").write_text(NARRATED)
    data = tmp_path / "data"
    env = cli_env(
        data,
        STORYREEL_PROVIDERS__OPENAI__API_KEY="never-used",
        STORYREEL_PROVIDERS__OPENAI__BASE_URL="http://127.0.0.1:9",
    )
    result = storyreel("story", "run", "story.yaml", "--budget", "0", env=env, cwd=tmp_path)
    assert result.returncode == EXIT_BUDGET, result.stderr
    line = one_error_line(result.stderr)
    assert "over the budget of $0.00" in line
    assert query(data, "SELECT id FROM jobs WHERE provider = 'openai'") == []
