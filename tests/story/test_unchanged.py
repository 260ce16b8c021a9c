"""An unchanged re-run returns the last run's manifest without starting a workflow, and
anything that changed what the run would make (a pick, the catalog, the export folder, the
store) sends it through the pipeline again.

One engine serves every run of a test (as under ``storyreel serve``), so the runs can be
counted in DBOS's workflow table: each run through the pipeline is one ``story-…-<n>``
workflow.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS

from storyreel.catalog import clear_cache
from storyreel.config import Settings
from storyreel.engine import jobs
from storyreel.engine.app import Engine
from storyreel.engine.service import submit_job, wait_job
from storyreel.store.models import Job
from storyreel.story import unchanged
from storyreel.story.consistency.candidates import record_pick
from storyreel.story.reuse import listed_files
from storyreel.story.runner import run_story
from storyreel.vocabulary import GenerationRequest

from .test_reuse import STORY  # two shots, one character, a tiny render

RUN_ID = re.compile(r"story-[0-9A-Z]{26}-[0-9a-f]{10}-[0-9]+")
"""A run's workflow id (``runner.choose_run_id``); its shots' children extend it."""

EXTRA_MODEL = """
[[models]]
id = "scripted:extra"
title = "a model the story does not use"
tasks = ["text-to-image"]
price = { kind = "per_image", usd = "0.05" }
price_source = "test"
"""


async def story_runs() -> list[str]:
    """The story runs DBOS has (not their shots' child workflows), oldest first."""
    listed = await DBOS.list_workflows_async(
        workflow_id_prefix="story-", load_input=False, load_output=False
    )
    runs = [w.workflow_id for w in listed if RUN_ID.fullmatch(w.workflow_id)]
    return sorted(runs, key=lambda w: int(w.rsplit("-", 1)[-1]))


@pytest.fixture
def story(tmp_path: Path) -> Path:
    path = tmp_path / "story.yaml"
    path.write_text(STORY)
    return path


async def test_an_unchanged_rerun_starts_no_workflow(
    tmp_path: Path, story: Path, engine: Engine
) -> None:
    assert engine.runtime is not None
    settings, out = engine.runtime.settings, tmp_path / "out"
    first = await run_story(settings, story, out, engine=engine)
    runs = await story_runs()
    assert len(runs) == 1

    again = await run_story(settings, story, out, engine=engine)

    assert await story_runs() == runs, "no second run"
    assert again == first


async def test_a_raised_budget_is_no_change(tmp_path: Path, story: Path, engine: Engine) -> None:
    assert engine.runtime is not None
    settings, out = engine.runtime.settings, tmp_path / "out"
    await run_story(settings, story, out, engine=engine, budget_usd=Decimal("1"))
    await run_story(settings, story, out, engine=engine, budget_usd=Decimal("2"))
    assert len(await story_runs()) == 1


async def _pick(engine: Engine, manifest: dict[str, Any], out: Path) -> None:
    assert engine.runtime is not None
    await record_pick(engine.runtime, manifest["project_id"], 1, 1)


async def _touch_export(engine: Engine, manifest: dict[str, Any], out: Path) -> None:
    (out / "clips" / "shot_002.mp4").write_bytes(b"not the clip")


async def _lose_stored_video(engine: Engine, manifest: dict[str, Any], out: Path) -> None:
    assert engine.runtime is not None
    engine.runtime.assets.path(manifest["video"]["sha256"], "video/mp4").unlink()


async def _redo_elsewhere(engine: Engine, manifest: dict[str, Any], out: Path) -> None:
    """Another story (or a redo while the last run was going) buys a newer take of the
    same panel request: outside this project's rows, but a run would use it."""
    assert engine.runtime is not None
    used = await jobs.get_job(engine.runtime.db, manifest["shots"][0]["panel"]["job_id"])
    again = await submit_job(GenerationRequest.model_validate(used.request), reuse=False)
    assert (await wait_job(again.id))["status"] == "succeeded"


async def _edit_catalog(engine: Engine, manifest: dict[str, Any], out: Path) -> None:
    assert engine.runtime is not None
    (engine.runtime.settings.data_path / "catalog.toml").write_text(EXTRA_MODEL)
    clear_cache()


@pytest.mark.parametrize(
    "change",
    [_pick, _touch_export, _lose_stored_video, _redo_elsewhere, _edit_catalog],
    ids=[
        "a pick",
        "a touched export",
        "the video lost from the store",
        "a newer take made elsewhere",
        "an edited catalog",
    ],
)
async def test_a_change_runs_the_pipeline_again(
    tmp_path: Path, story: Path, settings: Settings, change: Any
) -> None:
    out = tmp_path / "out"
    try:
        async with Engine(settings) as engine:
            first = await run_story(settings, story, out, engine=engine)
            await change(engine, first, out)
            again = await run_story(settings, story, out, engine=engine)
            assert len(await story_runs()) == 2
            # and the run after it, with nothing changed, is answered again
            await run_story(settings, story, out, engine=engine)
            assert len(await story_runs()) == 2
            assert engine.runtime is not None
            assets = engine.runtime.assets
            assert all(assets.holds(sha) for _, sha in listed_files(again)), "store repaired"
    finally:
        clear_cache()
    assert again["video"] == first["video"]


async def test_the_state_hash_sees_a_job_row_change(story: Path, engine: Engine) -> None:
    """A finished job edited in the store (here: its cost corrected) changes the hash."""
    assert engine.runtime is not None
    rt = engine.runtime
    out = story.parent / "out"
    manifest = await run_story(rt.settings, story, out, engine=engine)
    before = await unchanged.run_state(rt, manifest["project_id"], str(out.resolve()))
    async with rt.db.session() as session:
        job = await session.get(Job, manifest["shots"][0]["panel"]["job_id"])
        assert job is not None
        job.cost_usd = Decimal("0.01")
    after = await unchanged.run_state(rt, manifest["project_id"], str(out.resolve()))
    assert after != before
