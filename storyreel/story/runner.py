"""Running a story file end to end in this process (the CLI and, later, the API call this).

The run's workflow id is derived from the project and the output folder, so running the
same command after a crash re-attaches to the interrupted run instead of starting a new
one; a run that already ended gets a fresh id, and its finished jobs are reused. When
nothing changed since the last run ended, its manifest is the answer and no workflow runs
(``unchanged.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from dbos import DBOS, SetWorkflowID, WorkflowHandleAsync

from storyreel.catalog import Catalog
from storyreel.catalog.pricing import format_usd
from storyreel.config import Settings
from storyreel.engine import waits
from storyreel.engine.app import Engine
from storyreel.engine.budget import project_spend
from storyreel.engine.jobs import find_reusable_many
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import preflight_request
from storyreel.errors import BudgetExceeded, InputError
from storyreel.providers.types import JobState
from storyreel.store.models import Job, Project
from storyreel.vocabulary import Reference, RefRole

from .loader import LoadedStory, load_story
from .pipeline import StoryRunError, story_workflow
from .planner import plan_story
from .planning import adopt_jobs, check_planner, planner_of, resolve_plan
from .project import load_project, prepare_project
from .requests import Check, StoryEstimate, estimate_story
from .schema import StoryDef
from .unchanged import unchanged_result
from .variants import for_finalize, for_run, with_models

ACTIVE_RUN = {"PENDING", "ENQUEUED"}

Watcher = Callable[[Runtime, str], Coroutine[Any, Any, None]]
Force = Callable[[Runtime, str, LoadedStory, Catalog], Awaitable[None]]
"""Run before the story's workflow, with the project made: ``story redo`` makes its new
takes here (``story.redo``)."""


@dataclass(frozen=True)
class RunOptions:
    """What the command line changes about a story file's run."""

    image_model: str | None = None
    video_model: str | None = None
    planner: str | None = None
    finalize: bool = False
    shots: frozenset[int] | None = None
    """With ``finalize``: the shots to finalize (None: all)."""

    def shape(self, story: StoryDef) -> StoryDef:
        """The story as this run makes it: models overridden, then drafts or finals."""
        story = with_models(story, image_model=self.image_model, video_model=self.video_model)
        if self.finalize:
            return for_finalize(story, None if self.shots is None else set(self.shots))
        return for_run(story)


def story_references(loaded: LoadedStory) -> dict[str, list[Reference]]:
    """Each character's first reference image, by content hash, exactly as the project
    will store it: what a panel request carries."""
    refs: dict[str, list[Reference]] = {}
    for ref in loaded.references:
        if ref.character not in refs:
            sha = hashlib.sha256(ref.data).hexdigest()
            refs[ref.character] = [
                Reference(role=RefRole.CHARACTER, asset=sha, mime=ref.info.mime, name=ref.character)
            ]
    return refs


def preflight(loaded: LoadedStory, catalog: Catalog, check: Check | None) -> StoryEstimate:
    """Every shot bound, checked and priced; every problem in one InputError."""
    estimate = estimate_story(
        catalog, loaded.story, plan_story(loaded.story), story_references(loaded), check=check
    )
    estimate.raise_errors(loaded.source.name)
    return estimate


async def _remaining_usd(rt: Runtime, project_id: str, estimate: StoryEstimate) -> Decimal:
    """What is still to be bought: sheets, panels, clips and sound with no finished job."""
    project = await load_project(rt, project_id)
    done = set()
    async with rt.db.session() as session:
        for shot in project.shots:
            for column in ("panel_job_id", "clip_job_id"):
                job_id = getattr(shot, column)
                job = await session.get(Job, job_id) if job_id else None
                if job is not None and job.status == JobState.SUCCEEDED.value:
                    done.add((shot.number, column))
    drawn = {c.name for c in project.characters if c.sheet_asset}
    total = sum(
        (usd or Decimal(0) for name, usd in estimate.sheets.items() if name not in drawn),
        Decimal(0),
    )
    for cost in estimate.shots:
        if (cost.number, "panel_job_id") not in done:
            total += cost.panel_usd or 0
        if (cost.number, "clip_job_id") not in done:
            total += cost.clip_usd or 0
    async with rt.db.session() as session:
        found = await find_reusable_many(session, set(estimate.sound))
    spoken = {key for key, job in found.items() if job.status == JobState.SUCCEEDED.value}
    total += sum((usd or 0 for key, usd in estimate.sound.items() if key not in spoken), Decimal(0))
    return total


async def check_budget(rt: Runtime, project_id: str, estimate: StoryEstimate) -> None:
    """Refuse to start a run whose estimate does not fit its budget."""
    async with rt.db.session() as session:
        project = await session.get(Project, project_id)
        assert project is not None
        budget = project.budget_usd
        if budget is None:
            return
        if estimate.total_usd is None:
            raise InputError(
                "a budget needs prices: a model of this story is not in the catalog "
                "(add it to catalog.toml with its price)"
            )
        spent = await project_spend(session, project_id)
    remaining = await _remaining_usd(rt, project_id, estimate)
    if spent + remaining > budget:
        raise BudgetExceeded(
            f"this run would cost {format_usd(spent + remaining)} (spent "
            f"{format_usd(spent)} + {format_usd(remaining)} to go), over the budget of "
            f"{format_usd(budget)}; raise --budget (or budget: in the story file)"
        )


@dataclass(frozen=True)
class RunChoice:
    workflow_id: str
    resuming: bool
    last_ended: str | None = None
    """The latest run of this project and folder, when it succeeded: its result is the
    answer if nothing changed since (``unchanged.unchanged_result``)."""


async def choose_run_id(project_id: str, out_dir: Path) -> RunChoice:
    """Re-attach to an unfinished run for this project and folder, or number a new one."""
    folder = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:10]
    prefix = f"story-{project_id}-{folder}-"
    listed = await DBOS.list_workflows_async(
        workflow_id_prefix=prefix, load_input=False, load_output=False
    )
    # Only the runs themselves ("<prefix><n>"): their child workflows (one per shot) have
    # ids that extend the run's id and share the prefix.
    runs = {
        int(r.workflow_id.removeprefix(prefix)): r
        for r in listed
        if r.workflow_id.removeprefix(prefix).isdigit()
    }
    if not runs:
        return RunChoice(f"{prefix}1", resuming=False)
    number = max(runs)
    if runs[number].status in ACTIVE_RUN:
        return RunChoice(runs[number].workflow_id, resuming=True)
    succeeded = runs[number].workflow_id if runs[number].status == "SUCCESS" else None
    return RunChoice(f"{prefix}{number + 1}", resuming=False, last_ended=succeeded)


async def run_story(
    settings: Settings,
    story_file: Path,
    out_dir: Path,
    *,
    watch: Watcher | None = None,
    budget_usd: Decimal | None = None,
    announce: Callable[[StoryEstimate], None] | None = None,
    options: RunOptions | None = None,
    force: Force | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Validate, plan, check and price every shot, then generate, assemble and export;
    return the manifest. Nothing is created or bought before every shot passed its checks
    and the estimate fits the budget (``budget_usd``, else the story file's). ``announce``
    is shown the estimate before the run starts; ``watch`` runs beside the run (progress
    display) and is cancelled when it ends. ``options`` override the file's models, choose
    its planner, or finalize its drafts; ``force`` runs before the story's workflow.
    ``engine``: an engine this process already runs (the API's); None starts one for the
    run (the CLI)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} is a file; give a folder (new or existing)")
    loaded = load_story(
        story_file,
        max_image_bytes=settings.max_upload_bytes,
        max_image_pixels=settings.max_image_pixels,
    )
    catalog = Catalog.load(settings)
    opts = options or RunOptions()
    check_planner(catalog, loaded.story, opts.planner)
    if planner_of(loaded.story, opts.planner) == "rules":
        # input errors, before even the engine starts (an LLM's plan is checked once made)
        preflight(dataclasses.replace(loaded, story=opts.shape(loaded.story)), catalog, None)
    async with Engine(settings) if engine is None else nullcontext(engine) as engine:
        assert engine.runtime is not None
        budget = budget_usd if budget_usd is not None else loaded.story.budget
        planned = await resolve_plan(
            engine.runtime, catalog, loaded.story, opts.planner, budget=budget
        )
        loaded = dataclasses.replace(loaded, story=opts.shape(planned.story))
        estimate = preflight(loaded, catalog, partial(preflight_request, engine.runtime))
        if announce is not None:
            announce(estimate)
        project_id = await prepare_project(engine.runtime, loaded, budget_usd=budget_usd)
        await adopt_jobs(engine.runtime, project_id, planned.job_ids)
        await check_budget(engine.runtime, project_id, estimate)
        if force is not None:
            await force(engine.runtime, project_id, loaded, catalog)
        run = await choose_run_id(project_id, out_dir)
        if run.last_ended is not None:
            same = await unchanged_result(engine.runtime, run.last_ended, project_id, out_dir)
            if same is not None:
                return same
        handle: WorkflowHandleAsync[dict[str, Any]]
        if run.resuming:
            # Its interrupted process is dead: recovery has handed the run back to a queue,
            # which this process (or a live worker) is running. Starting it again would
            # race that copy, so only wait for it.
            handle = await DBOS.retrieve_workflow_async(run.workflow_id)
        else:
            with SetWorkflowID(run.workflow_id):
                handle = await DBOS.start_workflow_async(
                    story_workflow, project_id, str(out_dir.resolve())
                )
        watcher = asyncio.create_task(watch(engine.runtime, project_id)) if watch else None
        try:
            manifest: dict[str, Any] = await waits.result(handle)
            if "stopped" in manifest:
                stopped = manifest["stopped"]
                kind = BudgetExceeded if stopped["kind"] == "BudgetExceeded" else StoryRunError
                raise kind(stopped["message"])
        finally:
            if watcher is not None:
                watcher.cancel()
                # A display that failed must not fail the run it was displaying.
                await asyncio.gather(watcher, return_exceptions=True)
        return manifest
