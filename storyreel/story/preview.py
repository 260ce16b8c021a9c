"""``story plan``'s service: the plan, its price per stage, and what a run would redo.

Planning with a chat model runs its jobs on an engine (they are reused by the run that
follows, so the plan shown is the plan run); the rules planner needs no engine, only the
store, to tell which panels, clips and assembly are already made.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.errors import InputError
from storyreel.store.db import migrate
from storyreel.vocabulary import Reference

from .loader import LoadedStory, load_story
from .planner import PlannedShot, plan_story
from .planning import RULES, PlanOutcome, check_planner, planner_of, resolve_plan
from .requests import StoryEstimate, estimate_story
from .runner import RunOptions, story_references
from .schema import StoryDef
from .stale import RedoReport, everything, would_redo
from .variants import as_beats


@dataclass(frozen=True)
class Preview:
    planned: PlanOutcome
    """The story as planned (explicit beats when a model planned it)."""
    story: StoryDef
    """The story as a run makes it (models overridden, drafts)."""
    shots: list[PlannedShot]
    estimate: StoryEstimate
    redo: RedoReport | None
    """None when a shot cannot be bound (the estimate's errors say why)."""


@asynccontextmanager
async def _runtime(settings: Settings, *, engine: bool) -> AsyncIterator[Runtime]:
    """A started engine when chat jobs must run; otherwise just the store."""
    if engine:
        async with Engine(settings) as started:
            assert started.runtime is not None
            yield started.runtime
        return
    await asyncio.to_thread(migrate, settings.app_database_url)
    rt = Runtime.build(settings)
    try:
        yield rt
    finally:
        await rt.close()


async def preview_story(
    settings: Settings, story_file: Path, options: RunOptions | None = None
) -> Preview:
    opts = options or RunOptions()
    loaded = load_story(
        story_file,
        max_image_bytes=settings.max_upload_bytes,
        max_image_pixels=settings.max_image_pixels,
    )
    catalog = Catalog.load(settings)
    check_planner(catalog, loaded.story, opts.planner)
    llm = planner_of(loaded.story, opts.planner) != RULES
    if not llm and _no_store_yet(settings):
        # Nothing was ever made here: a look at the plan must not create a data dir.
        planned = PlanOutcome(loaded.story)  # the rules plan needs no store
        story, shots, estimate, refs = _bind(catalog, loaded, opts.shape(planned.story))
        redo = None if estimate.errors else everything(shots)
        return Preview(planned, story, shots, estimate, redo)
    async with _runtime(settings, engine=llm) as rt:
        planned = await resolve_plan(rt, catalog, loaded.story, opts.planner)
        story, shots, estimate, refs = _bind(catalog, loaded, opts.shape(planned.story))
        redo = None if estimate.errors else await would_redo(rt, catalog, story, shots, refs)
    return Preview(planned, story, shots, estimate, redo)


def _no_store_yet(settings: Settings) -> bool:
    database = settings.data_dir.expanduser() / "storyreel.db"  # data_path would create it
    return settings.database_url is None and not database.exists()


def _bind(
    catalog: Catalog, loaded: LoadedStory, story: StoryDef
) -> tuple[StoryDef, list[PlannedShot], StoryEstimate, dict[str, list[Reference]]]:
    shots = plan_story(story)
    refs = story_references(dataclasses.replace(loaded, story=story))
    return story, shots, estimate_story(catalog, story, shots, refs), refs


def write_plan(loaded_source: Path, planned: StoryDef, target: Path) -> None:
    """Write the plan as a story file with explicit beats, which runs as it is. Reference
    images are read relative to a story file's folder, so a story with references is only
    written into its own folder."""
    has_refs = any(c.references for c in planned.characters)
    if has_refs and target.resolve().parent != loaded_source.resolve().parent:
        raise InputError(
            f"--write {target}: this story's reference images are relative to "
            f"{loaded_source.parent}; write the plan into that folder"
        )
    if target.exists() and not target.is_file():
        raise InputError(f"--write {target} is not a file")
    content = as_beats(planned).model_dump(mode="json", exclude_defaults=True)
    content.setdefault("title", planned.title)
    text = yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=100)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-plan-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    Path(tmp).replace(target)
