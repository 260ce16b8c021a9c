"""``story plan --estimate --write``, ``finalize`` and ``redo`` on the command line: the
written plan is a story file that plans the same shots; bad input is one line, exit 3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyreel.cli.app import app
from storyreel.cli.common import EXIT_INPUT
from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story

STORY = """
title: Harbour
characters:
  - {name: Mira, description: a young woman with long red hair}
story: |
  Mira runs along the harbour wall at dusk. She stops and smiles.

  The storm breaks over the lighthouse. Mira climbs the stairs.
"""


@pytest.fixture
def story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STORYREEL_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "story.yaml"
    path.write_text(STORY)
    return path


def test_plan_estimates_each_stage_and_writes_a_runnable_plan(story: Path) -> None:
    written = story.parent / "plan.yaml"
    result = CliRunner().invoke(
        app, ["story", "plan", str(story), "--estimate", "--write", str(written), "--json"]
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["planner"] == "rules" and len(plan["shots"]) == 4
    assert all(s["redo"] == ["panel", "clip"] for s in plan["shots"])
    assert plan["assembly_redo"] is True
    assert plan["estimate"]["total"] == "0" or float(plan["estimate"]["total"]) == 0
    reread = parse_story(written.read_text(), name="plan.yaml")
    assert reread.beats and plan_story(reread) == plan_story(parse_story(STORY))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["finalize", "--shots", "1,x"], "--shots: 'x'"),
        (["finalize"], "render.draft_model"),
        (["redo", "--shot", "1", "--stage", "video"], "--stage must be panel or clip"),
        (["plan", "--planner", "sketch:previz"], "cannot do chat"),
    ],
)
def test_bad_input_is_one_line_and_exit_3(story: Path, args: list[str], message: str) -> None:
    command, *rest = args
    result = CliRunner().invoke(app, ["story", command, str(story), *rest])
    assert result.exit_code == EXIT_INPUT, result.output
    assert message in result.output
    assert not (story.parent / "out").exists()
