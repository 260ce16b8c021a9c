"""Running a story file end to end in this process (the CLI and, later, the API call this).

The run's workflow id is derived from the project and the output folder, so running the
same command after a crash re-attaches to the interrupted run instead of starting a new
one; a run that already ended gets a fresh id, and its finished jobs are reused.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbos import DBOS, SetWorkflowID, WorkflowHandleAsync

from storyreel.catalog import Catalog, ModelEntry
from storyreel.config import Settings
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.errors import InputError
from storyreel.providers.types import Task

from .loader import LoadedStory, load_story
from .pipeline import story_workflow
from .project import prepare_project

ACTIVE_RUN = {"PENDING", "ENQUEUED"}

Watcher = Callable[[Runtime, str], Coroutine[Any, Any, None]]


def resolve_models(loaded: LoadedStory, catalog: Catalog) -> LoadedStory:
    """Turn the story's model names (aliases allowed) into catalog ids, and refuse models
    that cannot draw panels or animate them, before anything is written."""
    render = loaded.story.render
    name = loaded.source.name
    image = _resolve(catalog, render.image_model, name, "image_model")
    video = _resolve(catalog, render.video_model, name, "video_model")
    if Task.IMAGE_TO_VIDEO not in video.tasks:
        raise InputError(f"{name}: render.video_model {video.id} cannot animate a panel")
    if not {Task.TEXT_TO_IMAGE, Task.REFERENCE_TO_IMAGE} & set(image.tasks):
        raise InputError(f"{name}: render.image_model {image.id} cannot draw a panel")
    story = loaded.story.model_copy(
        update={
            "render": render.model_copy(update={"image_model": image.id, "video_model": video.id})
        }
    )
    return LoadedStory(source=loaded.source, story=story, references=loaded.references)


def _resolve(catalog: Catalog, model: str, name: str, field: str) -> ModelEntry:
    try:
        return catalog.resolve(model)
    except InputError as exc:
        raise InputError(f"{name}: render.{field}: {exc.message}") from exc


@dataclass(frozen=True)
class RunChoice:
    workflow_id: str
    resuming: bool


async def choose_run_id(project_id: str, out_dir: Path) -> RunChoice:
    """Re-attach to an unfinished run for this project and folder, or number a new one."""
    folder = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:10]
    prefix = f"story-{project_id}-{folder}-"
    runs = await DBOS.list_workflows_async(
        workflow_id_prefix=prefix, load_input=False, load_output=False
    )
    if not runs:
        return RunChoice(f"{prefix}1", resuming=False)
    latest = max(runs, key=lambda r: int(r.workflow_id.rsplit("-", 1)[1]))
    if latest.status in ACTIVE_RUN:
        return RunChoice(latest.workflow_id, resuming=True)
    return RunChoice(f"{prefix}{int(latest.workflow_id.rsplit('-', 1)[1]) + 1}", resuming=False)


async def run_story(
    settings: Settings,
    story_file: Path,
    out_dir: Path,
    *,
    watch: Watcher | None = None,
) -> dict[str, Any]:
    """Validate, plan, generate, assemble and export; return the manifest. ``watch`` runs
    beside the run (progress display) and is cancelled when it ends."""
    loaded = resolve_models(
        load_story(
            story_file,
            max_image_bytes=settings.max_upload_bytes,
            max_image_pixels=settings.max_image_pixels,
        ),
        Catalog.load(settings),
    )
    async with Engine(settings) as engine:
        assert engine.runtime is not None
        project_id = await prepare_project(engine.runtime, loaded)
        run = await choose_run_id(project_id, out_dir)
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
            manifest: dict[str, Any] = await handle.get_result(polling_interval_sec=0.2)
        finally:
            if watcher is not None:
                watcher.cancel()
                # A display that failed must not fail the run it was displaying.
                await asyncio.gather(watcher, return_exceptions=True)
        return manifest
