"""``story plan`` says what each shot's video model will really make and bill."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.helpers import cli_env, storyreel

STORY = """
title: Plan lengths
beats:
  - setting: harbour at dusk
    shots:
      - {action: The storm gathers, duration: 2.5}
      - {action: The lamp turns, duration: 6}
render: {video_model: veo31}
"""


def test_the_plan_shows_the_length_the_model_makes(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(STORY)
    env = cli_env(tmp_path / "data")
    result = storyreel("story", "plan", "story.yaml", "--json", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shots = json.loads(result.stdout)["shots"]
    assert [(s["duration"], s["clip_seconds"]) for s in shots] == [(2.5, 4.0), (6.0, 6.0)]
    table = storyreel("story", "plan", "story.yaml", env=env, cwd=tmp_path)
    assert "the length the video model makes and bills" in table.stderr
