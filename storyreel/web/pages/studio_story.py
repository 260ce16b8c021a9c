"""``/ui/studio/{id}``: one stored story. Its characters (a reference image upload each,
and the sheets a run drew), the plan as an editable table with what a run would redo,
the run controls, its progress and spent vs budget live over server-sent events, and
once it is done the video and the exports.

Runs go through ``services.story_runs.StoryRuns`` exactly as the API's do; the
storyboard grid (``storyboard``) is loaded into the page and told to refresh with the
``storyboard-refresh`` event whenever the panels change."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse
from sse_starlette import EventSourceResponse

from storyreel.api.state import ApiState, api_state
from storyreel.errors import InputError, NotFound
from storyreel.services import stories
from storyreel.services.generation import read_image_upload
from storyreel.services.stories import StoryFolder
from storyreel.services.story_plan import EDITABLE, edit_shot, plan_view
from storyreel.services.story_runs import require_runs, run_progress

from ..nav import NavEntry
from ..studio_view import captions, export_links, sheets
from ..templating import render, templates

router = APIRouter()
PAGE: NavEntry | None = None  # reached from the studio's list
REFRESH = {"HX-Trigger": "storyboard-refresh"}
POLL_SECONDS = 0.3


async def _progress(state: ApiState, folder: StoryFolder) -> dict[str, Any] | None:
    try:
        return await run_progress(state.settings, state.rt, folder.id)
    except NotFound:  # never run
        return None


def _outputs(folder: StoryFolder) -> dict[str, Any] | None:
    try:
        found = stories.outputs(folder)
    except NotFound:
        return None
    base = f"/api/v1/stories/{folder.id}/outputs"
    manifest = json.loads((folder.out_dir / "manifest.json").read_text(encoding="utf-8"))
    return found | {
        "video_url": f"{base}/{found['video']['file']}",
        "poster_url": f"{base}/{found['contact_sheet']['file']}",
        "exports": export_links(manifest, base),
        "sheets": sheets(manifest, base),
    }


async def _run_context(state: ApiState, folder: StoryFolder) -> dict[str, Any]:
    progress = await _progress(state, folder)
    running = progress is not None and progress["run"]["state"] == "running"
    return {
        "story_id": folder.id,
        "progress": progress,
        "running": running,
        "outputs": None if running else _outputs(folder),
    }


@router.get("/studio/{story_id}")
async def story_page(request: Request, story_id: str) -> HTMLResponse:
    state = await api_state(request)
    folder = stories.story_folder(state.settings, story_id)
    story = stories.load(state.settings, folder).story
    run = await _run_context(state, folder)
    context = {
        "story": story,
        "characters": _characters(folder, story.characters, run["outputs"]),
        "plan": await plan_view(state.settings, state.rt, state.catalog, folder),
        "editable": EDITABLE,
    } | run
    return render(request, "studio/story.html", context)


def _characters(
    folder: StoryFolder, characters: Any, outputs: dict[str, Any] | None
) -> list[dict[str, Any]]:
    drawn = {s["name"]: s for s in (outputs or {}).get("sheets", [])}
    return [
        {
            "index": i,
            "name": c.name,
            "description": c.description,
            "reference_url": f"/ui/studio/{folder.id}/characters/{i}/reference"
            if c.references
            else None,
            "sheet": drawn.get(c.name),
        }
        for i, c in enumerate(characters)
    ]


def _characters_fragment(
    request: Request, state: ApiState, folder: StoryFolder, headers: dict[str, str] | None = None
) -> HTMLResponse:
    story = stories.load(state.settings, folder).story
    context = {
        "story_id": folder.id,
        "characters": _characters(folder, story.characters, _outputs(folder)),
    }
    return render(request, "studio/_characters.html", context, headers=headers)


@router.get("/studio/{story_id}/characters")
async def characters(request: Request, story_id: str) -> HTMLResponse:
    """The characters again (after a run: the sheets it drew)."""
    state = await api_state(request)
    return _characters_fragment(request, state, stories.story_folder(state.settings, story_id))


@router.get("/studio/{story_id}/characters/{index}/reference")
async def reference_image(request: Request, story_id: str, index: int) -> FileResponse:
    """A character's uploaded reference (a path the loader checked is inside the story)."""
    state = await api_state(request)
    folder = stories.story_folder(state.settings, story_id)
    loaded = stories.load(state.settings, folder)
    characters = loaded.story.characters
    if not 0 <= index < len(characters) or not characters[index].references:
        raise NotFound(f"character {index} of story {story_id} has no reference image")
    path = (folder.path / characters[index].references[0]).resolve()
    if not path.is_relative_to(folder.path.resolve()) or not path.is_file():
        raise NotFound(f"character {index} of story {story_id} has no reference image")
    return FileResponse(path)


@router.post("/studio/{story_id}/characters/{index}/reference")
async def upload_reference(
    request: Request, story_id: str, index: int, file: Annotated[UploadFile, File()]
) -> HTMLResponse:
    state = await api_state(request)
    folder = stories.story_folder(state.settings, story_id)
    require_runs(state.story_runs).refuse_if_busy(story_id)
    story = stories.load(state.settings, folder).story
    if not 0 <= index < len(story.characters):
        raise NotFound(f"story {story_id} has no character {index}")
    data, mime = await read_image_upload(
        file,
        max_bytes=state.settings.max_upload_bytes,
        max_pixels=state.settings.max_image_pixels,
    )
    stories.set_reference(state.settings, folder, story.characters[index].name, data, mime)
    # a new reference changes the panels: the plan's "would redo" and the storyboard
    changed = {"HX-Trigger": "storyboard-refresh, plan-refresh"}
    return _characters_fragment(request, state, folder, changed)


async def _plan(
    request: Request, state: ApiState, folder: StoryFolder, **headers: str
) -> HTMLResponse:
    context = {
        "story_id": folder.id,
        "plan": await plan_view(state.settings, state.rt, state.catalog, folder),
        "editable": EDITABLE,
    }
    return render(request, "studio/_plan.html", context, headers=headers or None)


@router.get("/studio/{story_id}/plan")
async def plan_table(request: Request, story_id: str) -> HTMLResponse:
    state = await api_state(request)
    return await _plan(request, state, stories.story_folder(state.settings, story_id))


@router.post("/studio/{story_id}/plan/{number}/{field}")
async def edit_cell(
    request: Request,
    story_id: str,
    number: int,
    field: str,
    value: Annotated[str, Form(max_length=4_000)] = "",
) -> HTMLResponse:
    """One cell of the plan saved to the story file; the table comes back with its new
    'would redo' column, and the storyboard is told to refresh."""
    state = await api_state(request)
    folder = stories.story_folder(state.settings, story_id)
    require_runs(state.story_runs).refuse_if_busy(story_id)
    edit_shot(state.settings, folder, number, field, value)
    return await _plan(request, state, folder, **REFRESH)


def _budget(text: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        budget = Decimal(text.strip().lstrip("$"))
    except InvalidOperation:
        raise InputError(f"budget: {text[:40]!r} is not an amount in USD") from None
    if not budget.is_finite() or budget < 0:
        raise InputError("budget: give an amount of USD of 0 or more")
    return budget


@router.get("/studio/{story_id}/run")
async def run_panel(request: Request, story_id: str) -> HTMLResponse:
    """The run panel as it is now: the page asks again when the storyboard started a run
    (a regenerate, a pick, a finalize), so that run is followed live here too."""
    state = await api_state(request)
    folder = stories.story_folder(state.settings, story_id)
    return render(request, "studio/_run.html", await _run_context(state, folder))


@router.post("/studio/{story_id}/run")
async def run(
    request: Request, story_id: str, budget: Annotated[str, Form(max_length=40)] = ""
) -> HTMLResponse:
    """Start the story's run in the background; the run panel comes back following it."""
    state = await api_state(request)
    folder = stories.story_folder(state.settings, story_id)
    require_runs(state.story_runs).start(folder, budget_usd=_budget(budget))
    context = await _run_context(state, folder)
    return render(request, "studio/_run.html", context)


async def _events(
    request: Request, state: ApiState, folder: StoryFolder
) -> AsyncIterator[dict[str, str]]:
    last = ""
    while True:
        context = await _run_context(state, folder)
        html = templates.get_template("studio/_progress.html").render(context)
        if html != last:
            yield {"event": "progress", "data": html}
            last = html
        if not context["running"]:
            yield {"event": "end", "data": ""}
            return
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL_SECONDS)


@router.get("/studio/{story_id}/events", response_class=EventSourceResponse)
async def events(request: Request, story_id: str) -> EventSourceResponse:
    """The run's progress as HTML fragments (event ``progress``), then ``end``."""
    state = await api_state(request)
    folder = stories.story_folder(state.settings, story_id)
    return EventSourceResponse(_events(request, state, folder))


@router.get("/studio/{story_id}/captions.vtt")
async def captions_track(request: Request, story_id: str) -> PlainTextResponse:
    """The video's captions: each shot's narration (else its action) over its time."""
    state = await api_state(request)
    folder = stories.story_folder(state.settings, story_id)
    manifest_file = folder.out_dir / "manifest.json"
    if not manifest_file.is_file():
        raise NotFound(f"story {story_id} has no video yet")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    return PlainTextResponse(captions(manifest), media_type="text/vtt")
