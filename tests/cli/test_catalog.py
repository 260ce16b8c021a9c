"""``storyreel cost``: numbers from the catalog, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyreel.catalog import CATALOG_FILE_ENV, Catalog
from storyreel.catalog.pricing import format_usd
from storyreel.cli import common
from storyreel.cli.app import app
from storyreel.cli.common import EXIT_INPUT, EXIT_NOT_FOUND
from storyreel.config import Settings
from storyreel.engine.pricing import estimate as engine_estimate
from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story
from storyreel.story.prompts import clip_request
from storyreel.vocabulary import Task

runner = CliRunner()

STORY = """
title: Tiny
characters:
  - {name: Ada, description: yellow coat}
beats:
  - setting: park at noon
    shots:
      - {action: Ada reads., characters: [Ada], duration: 2.5}
      - {action: Ada looks up., characters: [Ada], duration: 6}
render:
  image_model: flux-2-pro
  video_model: kling
  width: 1920
  height: 1080
  sheets: "off"
"""


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables fold cells to the terminal width; give them room to keep ids whole."""
    monkeypatch.setattr(common.console, "_width", 400)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cost_compare_reproduces_seed_000() -> None:
    code, out, _ = invoke("cost", "compare", "--stories-per-month", "12")
    assert code == 0, out
    assert "= $24.50 per story" in out
    assert "150 images x $0.03 (kie:seedream/4.5-edit)" in out
    assert "100 videos x $0.20 (kie:bytedance/seedance-1.5-pro)" in out
    assert "$199.00 per month (unlimited, 15 parallel)" in out
    assert "break-even:   8.1 stories per month" in out
    rows = {line.split()[1]: line for line in out.splitlines() if line.startswith("│")}
    assert set(rows) == {"1", "5", "8", "10", "12", "20"}
    assert "$245.00" in rows["10"] and "subscription" in rows["10"]
    assert "$490.00" in rows["20"] and "$291.00" in rows["20"]
    assert "$196.00" in rows["8"] and "pay-per-use" in rows["8"]
    assert "$294.00" in rows["12"]


def test_cost_compare_follows_the_models_asked_for() -> None:
    code, out, _ = invoke(
        "cost",
        "compare",
        "--image-model",
        "flux-schnell",
        "--video-model",
        "kling",
        "--images-per-story",
        "10",
        "--videos-per-story",
        "10",
    )
    assert code == 0, out
    assert "= $3.53 per story" in out  # 10 x 0.003 + 10 x 0.35
    assert "break-even:   56.4 stories per month" in out


def test_cost_compare_with_a_plan_model_never_breaks_even() -> None:
    code, out, _ = invoke("cost", "compare", "--image-model", "sketch", "--video-model", "motion")
    assert code == 0, out
    assert "= $0.00 per story" in out
    assert "break-even:   never" in out


def test_cost_compare_reads_the_user_catalog(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[models]]\nid = "kie:seedream/4.5-edit"\nprice = { kind = "per_image", usd = "0.02" }\n'
    )
    monkeypatch.setenv(CATALOG_FILE_ENV, str(path))
    code, out, _ = invoke("cost", "compare")
    assert code == 0, out
    assert "= $23.00 per story" in out


def test_cost_compare_unknown_plan_is_one_red_line() -> None:
    code, _, err = invoke("cost", "compare", "--subscription", "fal")
    assert code == EXIT_INPUT
    assert err.strip().splitlines() == [
        "error: 'fal' is not priced by a subscription; plans: modelslab"
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-m", "veo31", "--duration", "8"], "estimate: $3.20"),
        (["-m", "veo31", "--duration", "8", "--no-audio"], "estimate: $1.60"),
        (["-m", "kling", "--duration", "10"], "estimate: $0.70"),
        (["-m", "flux-2-pro", "--width", "1920", "--height", "1080"], "estimate: $0.045"),
        (["-m", "gpt-image-1.5", "--quality", "low", "--count", "2"], "estimate: $0.018"),
        (["-m", "sora-2-pro", "--resolution", "1080p", "--duration", "12"], "estimate: $6.00"),
        (["-m", "seedance-1.5-pro"], "estimate: $0.00 (covered by modelslab plan"),
        (["-m", "gpt-4o"], "estimate: $0.0125"),
    ],
)
def test_cost_estimate_one_job(args: list[str], expected: str) -> None:
    code, out, err = invoke("cost", "estimate", *args)
    assert code == 0, err
    assert expected in out


def test_cost_estimate_shows_job_rule_and_source() -> None:
    code, out, _ = invoke("cost", "estimate", "--model", "veo31-fast")
    assert code == 0
    assert "fal:fal-ai/veo3.1/fast/image-to-video (alias veo31-fast)  image-to-video" in out
    assert "job:      8 s, 720p, audio on, 1 clip" in out
    assert "source:   seed 004" in out
    assert "estimate: $1.20" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-m", "veo31", "--duration", "5"], "a 5 s clip is not possible; durations: 4, 6, 8 s"),
        (["-m", "klign"], "unknown model 'klign'; did you mean"),
        (["-m", "veo31", "--task", "text-to-image"], "cannot do text-to-image"),
        (["-m", "kling", "--audio"], "cannot generate audio"),
        (["-m", "gpt-image-1.5", "--quality", "best"], "quality best is not one of"),
        (["-m", "veo31", "--width", "1281", "--height", "720"], "even numbers"),
        ([], "give --model to price one job or --story to price a story"),
        (["-m", "kling", "--story", "x.yaml"], "give --model"),
    ],
)
def test_cost_estimate_errors_are_one_red_line(args: list[str], message: str) -> None:
    code, _, err = invoke("cost", "estimate", *args)
    assert code == EXIT_INPUT
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert message in lines[0]


def test_a_missing_story_file_is_not_found() -> None:
    """Exit codes by kind: a file that is not there is 4 (not found), not 3 (bad input)."""
    code, _, err = invoke("cost", "estimate", "--story", "missing.yaml")
    assert code == EXIT_NOT_FOUND
    message = "story file not found: missing.yaml"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert message in lines[0]


def test_cost_estimate_story(tmp_path: Path) -> None:
    story = tmp_path / "tiny.yaml"
    story.write_text(STORY)
    code, out, err = invoke("cost", "estimate", "--story", str(story))
    assert code == 0, err
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in out.splitlines()
        if line.startswith("│")
    ]
    # 1920x1080 panels: $0.045; 2.5 s shot billed as kling's 5 s ($0.35), 6 s -> 10 s ($0.70)
    assert rows == [
        ["1", "2.5", "5", "$0.045", "$0.35", "$0.395"],
        ["2", "6", "10", "$0.045", "$0.70", "$0.745"],
        ["all", "", "", "$0.09", "$1.05", "$1.14"],
    ]
    assert "panels $0.09 + clips $1.05 = total $1.14 for 2 panels and 2 clips" in out
    # The aliases bind per shot: no references, so FLUX.2 pro's text-to-image endpoint.
    assert "panels: fal:fal-ai/flux-2-pro  $0.03 first MP + $0.015/extra MP" in out
    assert "clips:  fal:fal-ai/kling-video/v2.5-turbo/pro/image-to-video" in out


def test_cost_estimate_story_lists_every_problem_in_one_line(tmp_path: Path) -> None:
    story = tmp_path / "tiny.yaml"
    story.write_text(STORY.replace("image_model: flux-2-pro", "image_model: kie:seedream/4.5-edit"))
    code, _, err = invoke("cost", "estimate", "--story", str(story))
    assert code == EXIT_INPUT
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "shots 1, 2: kie:seedream/4.5-edit cannot do text-to-image" in lines[0]


def test_cost_estimate_offline_story_is_free(tmp_path: Path) -> None:
    story = tmp_path / "tiny.yaml"
    story.write_text(STORY.split("render:")[0])
    code, out, _ = invoke("cost", "estimate", "--story", str(story))
    assert code == 0
    assert "total $0.00 for 2 panels and 2 clips" in out


def test_cost_estimate_story_with_an_unknown_model(tmp_path: Path) -> None:
    story = tmp_path / "tiny.yaml"
    story.write_text(STORY.replace("image_model: flux-2-pro", "image_model: fal:fal-ai/flux-9"))
    code, _, err = invoke("cost", "estimate", "--story", str(story))
    assert code == EXIT_INPUT
    assert err.startswith("error: tiny.yaml: shots 1, 2: unknown model 'fal:fal-ai/flux-9'")


DURATIONS = (1, 2.5, 4, 5, 6, 7.5, 9, 12)


@pytest.mark.parametrize("model", [m.id for m in Catalog.builtin().models(Task.IMAGE_TO_VIDEO)])
def test_the_engine_prices_every_clip_as_cost_estimate_does(tmp_path: Path, model: str) -> None:
    """For every animating model and shot lengths it can and cannot make exactly, the
    engine's estimate of the clip job equals ``cost estimate --story``'s (a 2.5 s Veo shot
    is a 4 s clip, $1.60, in both; it used to be $1.00 in the engine)."""
    shots = "".join(f"      - {{action: Shot {d}, duration: {d}}}\n" for d in DURATIONS)
    story = tmp_path / "clips.yaml"
    story.write_text(
        "title: Clips\nbeats:\n  - shots:\n" + shots + f"render: {{video_model: '{model}'}}\n"
    )
    code, out, err = invoke("cost", "estimate", "--story", str(story))
    assert code == 0, err
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in out.splitlines()
        if line.startswith("│") and line.split("│")[1].strip().isdigit()
    ]
    assert len(rows) == len(DURATIONS)
    parsed = parse_story(story.read_text())
    for shot, row in zip(plan_story(parsed), rows, strict=True):
        clip = clip_request(parsed, shot, panel_sha256="ab" * 32, model=model)
        engine_usd = engine_estimate(Settings(), clip)
        assert engine_usd is not None
        assert row[4] == format_usd(engine_usd), (shot.duration, row)
