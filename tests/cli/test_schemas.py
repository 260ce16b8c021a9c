"""Every ``--json`` output parses against its model, and a script can drive a whole story
run from ``--json`` outputs alone (stdout is the JSON document and nothing else)."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from typer.testing import CliRunner

from storyreel.cli.app import app
from storyreel.cli.schemas import (
    CostComparison,
    GenerateResult,
    JobDetail,
    JobEstimate,
    JobList,
    ModelList,
    Output,
    SpendReport,
    StoryEstimateOut,
    StoryPlan,
    StoryRunSummary,
)
from tests.e2e.helpers import cli_env, storyreel

runner = CliRunner()
M = TypeVar("M", bound=Output)

STORY = """
title: Two Names
characters:
  - {name: Adalbertina Featherstonehaugh-Wolfeschlegel, description: yellow coat}
  - {name: Bo, description: red scarf}
beats:
  - setting: park at noon
    shots:
      - {action: Adalbertina reads., characters: [Adalbertina Featherstonehaugh-Wolfeschlegel]}
      - {action: Bo waves., characters: [Bo]}
render: {width: 160, height: 90, fps: 8, duration: 1, transition_frames: 2}
"""


def parsed(model: type[M], stdout: str) -> M:
    """The one JSON document on stdout, validated (unknown fields refused)."""
    json.loads(stdout)  # the whole of stdout is JSON: no table, hint or progress in it
    return model.model_validate_json(stdout)


def cli(*args: str) -> str:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_catalog_outputs_parse() -> None:
    models = parsed(ModelList, cli("models", "--task", "image-to-video"))
    assert models.task == "image-to-video" and models.models
    assert all("image-to-video" in m.tasks for m in models.models)
    kling = parsed(JobEstimate, cli("cost", "estimate", "-m", "kling", "--duration", "10"))
    assert kling.estimate_usd == Decimal("0.70") and kling.model.startswith("fal:")
    compare = parsed(CostComparison, cli("cost", "compare", "--stories-per-month", "12"))
    assert compare.per_story_usd == Decimal("24.50")
    assert compare.break_even_stories == pytest.approx(199 / 24.5, abs=1e-6)
    assert 12 in [row.stories for row in compare.rows]


@pytest.mark.slow
def test_a_script_drives_a_whole_story_run_with_json_only(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(STORY)
    env = cli_env(tmp_path / "data", COLUMNS="60")

    def run(model: type[Output], *args: str) -> subprocess.CompletedProcess[str]:
        done = storyreel(*args, "--json", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        parsed(model, done.stdout)
        return done

    plan = parsed(StoryPlan, run(StoryPlan, "story", "plan", "story.yaml").stdout)
    assert [s.characters for s in plan.shots] == [
        ["Adalbertina Featherstonehaugh-Wolfeschlegel"],
        ["Bo"],
    ]
    estimate = parsed(
        StoryEstimateOut, run(StoryEstimateOut, "cost", "estimate", "--story", "story.yaml").stdout
    )
    assert estimate.total_usd == Decimal(0) and len(estimate.shots) == len(plan.shots)

    done = run(StoryRunSummary, "story", "run", "story.yaml", "--out", "out")
    summary = parsed(StoryRunSummary, done.stdout)
    assert "Panels" in done.stderr, "the progress bars go to stderr"
    assert summary.panels == len(plan.shots) and summary.video.path.is_file()
    assert summary.manifest == tmp_path / "out" / "manifest.json"
    assert json.loads(summary.manifest.read_text())["project_id"] == summary.project_id

    listing = parsed(JobList, run(JobList, "jobs", "list").stdout)
    # a panel and a clip per shot, and a character sheet for each character (no references)
    sheets = len({name for shot in plan.shots for name in shot.characters})
    assert len(listing.jobs) == 2 * len(plan.shots) + sheets and listing.next_before is None
    assert {job.project_id for job in listing.jobs} == {summary.project_id}
    for job in listing.jobs:
        detail = parsed(JobDetail, run(JobDetail, "jobs", "show", job.id).stdout)
        assert detail.status == "succeeded" and detail.outputs[0].path.is_file()
        assert detail.cost_usd == Decimal(0)

    page = storyreel("jobs", "list", "--limit", "1", "--json", env=env, cwd=tmp_path)
    assert parsed(JobList, page.stdout).next_before == listing.jobs[0].id
    assert page.stderr.strip() == f"more: storyreel jobs list --before {listing.jobs[0].id}"

    spent = parsed(SpendReport, run(SpendReport, "cost", "report").stdout)
    assert spent.jobs == len(listing.jobs) and spent.total_usd == Decimal(0)

    made = run(GenerateResult, "generate", "image", "-m", "sketch", "-p", "a lamp", "-o", "gen")
    result = parsed(GenerateResult, made.stdout)
    assert result.status == "succeeded" and result.files[0].is_file()
    assert f"job {result.job_id} on {result.model}: queued" in made.stderr
    assert made.stderr.rstrip().endswith(f"job {result.job_id} on {result.model}: succeeded")


@pytest.mark.slow
def test_tables_fold_names_rather_than_cut_them(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(STORY)
    env = cli_env(tmp_path / "data", COLUMNS="60")
    done = storyreel("story", "plan", "story.yaml", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    cells = "".join(
        line.split("│")[3].strip() for line in done.stdout.splitlines() if line.count("│") > 3
    )
    assert "AdalbertinaFeatherstonehaugh-Wolfeschlegel" in cells.replace(" ", "")
