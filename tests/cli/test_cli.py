"""The CLI as a user meets it: real subprocesses, exit codes, one-line errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from storyreel.cli.common import EXIT_FAILURE, EXIT_INPUT, EXIT_NOT_FOUND
from tests.e2e.helpers import cli_env, query, spawn, storyreel

SMALL = """
title: Small
characters:
  - {name: Ada, description: yellow coat}
beats:
  - setting: park at noon
    shots:
      - {action: Ada reads., characters: [Ada]}
      - {action: Ada looks up., characters: [Ada]}
render: {width: 160, height: 90, fps: 8, duration: 1, transition_frames: 2}
"""


@pytest.mark.parametrize(
    ("story", "message"),
    [
        ("title: [oops", "not valid YAML"),
        (
            SMALL.replace(
                "characters: [Ada]}\n      - {action: Ada looks",
                "characters: [Bob]}\n      - {action: Ada looks",
            ),
            "names unknown character 'Bob'",
        ),
        (
            SMALL.replace("yellow coat}", "yellow coat, references: [ada.png]}"),
            "ada.png does not exist",
        ),
        (
            SMALL.replace("yellow coat}", "yellow coat, references: [notes.png]}"),
            "is not a supported image",
        ),
        (SMALL.replace("width: 160", "width: 161"), "even numbers"),
        (SMALL.replace("width: 160", "width: 100000"), "render.width"),
    ],
)
def test_bad_story_is_one_error_line_and_nothing_written(
    tmp_path: Path, story: str, message: str
) -> None:
    (tmp_path / "story.yaml").write_text(story)
    (tmp_path / "notes.png").write_text("just text")
    result = storyreel(
        "story", "run", "story.yaml", "--out", "out", env=cli_env(tmp_path / "data"), cwd=tmp_path
    )
    assert result.returncode == EXIT_INPUT == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: story.yaml: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists() and not (tmp_path / "data").exists()


def test_plan_shows_shots_without_generating(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(SMALL)
    result = storyreel("story", "plan", "story.yaml", env=cli_env(tmp_path / "data"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Ada looks up." in result.stdout and "park at noon" in result.stdout
    assert not (tmp_path / "data").exists()


def test_run_then_list_show_and_cancel_errors(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(SMALL)
    Image.new("RGB", (64, 64), "yellow").save(tmp_path / "ada.png")
    env = cli_env(tmp_path / "data")
    result = storyreel("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    listing = storyreel("jobs", "list", env=env, cwd=tmp_path)
    ids = [row[0] for row in query(tmp_path / "data", "SELECT id FROM jobs ORDER BY id")]
    # two panels, two clips and Ada's character sheet (she has no reference image)
    assert len(ids) == 5 and all(i in listing.stdout for i in ids)
    show = storyreel("jobs", "show", ids[0], env=env, cwd=tmp_path)
    assert "succeeded" in show.stdout and ".png" in show.stdout
    again = storyreel("jobs", "cancel", ids[0], env=env, cwd=tmp_path)
    assert again.returncode == EXIT_INPUT and "already succeeded" in again.stderr
    missing = storyreel("jobs", "show", "NOPE", env=env, cwd=tmp_path)
    assert missing.returncode == EXIT_NOT_FOUND == 4 and "no job 'NOPE'" in missing.stderr


def test_cancel_a_running_job_from_another_process(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(SMALL)
    env = cli_env(tmp_path / "data", STORYREEL_PROVIDERS__SKETCH__LATENCY="30")
    run = spawn("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
    try:
        running: list[tuple[str]] = []
        deadline = time.monotonic() + 60
        while not running and time.monotonic() < deadline:
            running = query(tmp_path / "data", "SELECT id FROM jobs WHERE status = 'running'")
            time.sleep(0.1)
        assert running, "no job started running"
        cancel = storyreel("jobs", "cancel", running[0][0], env=env, cwd=tmp_path)
        assert cancel.returncode == 0 and "canceled" in cancel.stdout, cancel.stderr
        output, _ = run.communicate(timeout=60)
    finally:
        run.kill()
    assert run.returncode == EXIT_FAILURE == 1
    # the first job to run is Ada's character sheet, before any panel
    assert f"sheet of Ada: sheet job {running[0][0]} canceled" in output


@pytest.mark.parametrize(
    ("render", "message"),
    [
        ("image_model: flux-2-prro", "story.yaml: shots 1, 2: unknown model 'flux-2-prro'"),
        ("video_model: nano-banana", "nano-banana/edit cannot do image-to-video"),
    ],
)
def test_story_models_are_checked_against_the_catalog(
    tmp_path: Path, render: str, message: str
) -> None:
    story = SMALL.replace("render: {", f"render: {{{render}, ")
    (tmp_path / "story.yaml").write_text(story)
    result = storyreel(
        "story", "run", "story.yaml", "--out", "out", env=cli_env(tmp_path / "data"), cwd=tmp_path
    )
    assert result.returncode == EXIT_INPUT and message in result.stderr, result.stderr
    assert not (tmp_path / "data").exists()


def test_story_models_may_be_aliases(tmp_path: Path) -> None:
    story = SMALL.replace("render: {", "render: {image_model: sketch, video_model: motion, ")
    (tmp_path / "story.yaml").write_text(story)
    result = storyreel(
        "story", "run", "story.yaml", "--out", "out", env=cli_env(tmp_path / "data"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
