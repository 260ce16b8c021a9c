"""Binding and pricing a bulk: the catalog's checks and ``cost estimate``'s numbers."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyreel.bulk.plan import BulkOptions, load_plan
from storyreel.cli.app import app
from storyreel.config import Settings
from storyreel.errors import InputError
from storyreel.vocabulary import RefRole, Task

from .helpers import make_images, make_prompts


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    make_images(tmp_path / "imgs", 3)
    return make_prompts(tmp_path / "p.txt", ["zoom in", "turn and smile"]), tmp_path / "imgs"


def cost_estimate(*args: str) -> Decimal:
    result = CliRunner().invoke(app, ["cost", "estimate", "--json", *args])
    assert result.exit_code == 0, result.output
    return Decimal(json.loads(result.stdout)["estimate_usd"])


@pytest.mark.parametrize(
    ("model", "extra", "cli_args"),
    [
        ("kling", {}, ["--model", "kling", "--task", "image-to-video"]),
        ("kling", {"duration": 10}, ["--model", "kling", "--duration", "10"]),
        (
            "wan",
            {"resolution": "720p"},
            ["--model", "wan", "--resolution", "720p", "--task", "image-to-video"],
        ),
    ],
)
def test_the_estimate_is_cost_estimate_times_the_jobs(
    settings: Settings,
    inputs: tuple[Path, Path],
    model: str,
    extra: dict[str, object],
    cli_args: list[str],
) -> None:
    prompts, imgs = inputs
    plan = load_plan(settings, prompts, imgs, BulkOptions(model=model, **extra))  # type: ignore[arg-type]
    one = cost_estimate(*cli_args)
    assert plan.job_count == 6
    assert {p.estimate_usd for p in plan.items} == {one}
    assert plan.total_usd == 6 * one


def test_every_item_is_image_to_video_with_its_image_as_first_frame(
    settings: Settings, inputs: tuple[Path, Path]
) -> None:
    prompts, imgs = inputs
    plan = load_plan(settings, prompts, imgs, BulkOptions())
    req = plan.items[1].request
    assert req.task is Task.IMAGE_TO_VIDEO
    assert req.model == "fal:fal-ai/kling-video/v2.5-turbo/pro/image-to-video"
    assert req.prompt == "turn and smile"
    assert req.duration == 5  # the model's default, written into the request
    (ref,) = req.references
    assert ref.role is RefRole.FIRST_FRAME and ref.asset == plan.images[0].sha256


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (BulkOptions(duration=7), r"a 7 s clip is not possible; durations: 5, 10 s"),
        (BulkOptions(model="wan", resolution="4K"), "resolution 4K is not possible"),
        (BulkOptions(model="klnig"), "unknown model 'klnig'; did you mean"),
        (BulkOptions(model="flux-2-pro"), "cannot do image-to-video"),
    ],
)
def test_model_resolution_and_duration_are_checked_against_the_catalog(
    settings: Settings, inputs: tuple[Path, Path], options: BulkOptions, message: str
) -> None:
    prompts, imgs = inputs
    with pytest.raises(InputError, match=message):
        load_plan(settings, prompts, imgs, options)


def test_the_key_names_the_inputs_not_the_budget(
    settings: Settings, inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    prompts, imgs = inputs
    key = load_plan(settings, prompts, imgs, BulkOptions()).key
    assert load_plan(settings, prompts, imgs, BulkOptions()).key == key
    assert load_plan(settings, prompts, imgs, BulkOptions(duration=10)).key != key
    other = make_prompts(tmp_path / "q.txt", ["zoom in", "turn and smile!"])
    assert load_plan(settings, other, imgs, BulkOptions()).key != key
