"""``/api/v1/stories`` as stored resources: create one (a JSON body or an uploaded story
file, checked by the CLI's loader), read it, give a character its reference image, run it
in the background (202; follow ``/stories/{id}/status`` or ``/events``), list and
download its outputs, and redo one shot (``storyreel story redo``).

Stories live in the data dir (``services/stories.py``); outputs are served only from the
story's own ``out/`` folder, by a path that must resolve inside it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, UploadFile
from fastapi.responses import FileResponse

from storyreel.services import stories
from storyreel.services.story_runs import (
    StoryRuns,
    finalize_options,
    pick_candidate,
    require_runs,
)
from storyreel.story.redo import Redo

from ..schemas import StoryFinalizeIn, StoryPickIn, StoryRedoIn, StoryRunIn
from ..state import ApiState, api_state
from .media import read_upload
from .stories import read_story_upload

router = APIRouter(tags=["stories"])
State = Annotated[ApiState, Depends(api_state)]
BASE = "/api/v1/stories"


def _runs(state: ApiState) -> StoryRuns:
    return require_runs(state.story_runs)


def _shown(state: ApiState, story_id: str) -> dict[str, Any]:
    folder = stories.story_folder(state.settings, story_id)
    return stories.describe(state.settings, folder) | {
        "status_url": f"{BASE}/{story_id}/status",
        "events_url": f"{BASE}/{story_id}/events",
        "outputs_url": f"{BASE}/{story_id}/outputs",
    }


@router.post("/stories", status_code=201)
async def create_json(state: State, story: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Store a story given as JSON (the story file's fields); returns it with its id.
    Character references are uploaded afterwards (``/characters/{name}/reference``)."""
    story_id = stories.create_story(state.settings, story, name="story.json")
    return _shown(state, story_id)


@router.post("/stories/upload", status_code=201)
async def create_upload(state: State, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """The same for an uploaded story file (YAML or JSON)."""
    _, raw = await read_story_upload(file)
    story_id = stories.create_story(state.settings, raw, name=file.filename or "story.yaml")
    return _shown(state, story_id)


@router.get("/stories/{story_id}")
async def get_story(story_id: str, state: State) -> dict[str, Any]:
    """A stored story: title, characters and their references, last run's state."""
    return _shown(state, story_id)


@router.post("/stories/{story_id}/characters/{name}/reference", status_code=201)
async def upload_reference(
    story_id: str, name: str, state: State, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Make an image (upload limits: size, pixels, a real image) the character's reference:
    every later run draws the character from it."""
    folder = stories.story_folder(state.settings, story_id)
    if state.story_runs is not None:  # a running story keeps the references it started with
        state.story_runs.refuse_if_busy(story_id)
    data, mime = await read_upload(state, file)
    stories.set_reference(state.settings, folder, name, data, mime)
    return _shown(state, story_id)


@router.post("/stories/{story_id}/run", status_code=202)
async def run(
    story_id: str, state: State, body: Annotated[StoryRunIn | None, Body()] = None
) -> dict[str, Any]:
    """Start the story's run in the background (as ``storyreel story run``); a run that
    already finished is reused job by job. 409 while a run of it is going."""
    folder = stories.story_folder(state.settings, story_id)
    _runs(state).start(folder, budget_usd=body.budget_usd if body else None)
    return _shown(state, story_id)


@router.post("/stories/{story_id}/redo", status_code=202)
async def redo(story_id: str, state: State, body: StoryRedoIn) -> dict[str, Any]:
    """Make one shot's panel and/or clip again (a new take, paid again), then re-assemble,
    in the background (as ``storyreel story redo``)."""
    folder = stories.story_folder(state.settings, story_id)
    stories.check_shot(state.settings, folder, body.shot)
    _runs(state).start(folder, budget_usd=body.budget_usd, redo=Redo(body.shot, body.stage))
    return _shown(state, story_id)


@router.post("/stories/{story_id}/pick", status_code=202)
async def pick(story_id: str, state: State, body: StoryPickIn) -> dict[str, Any]:
    """Make one of a shot's candidate panels (``render.candidates``) its panel and run the
    story again in the background (as ``storyreel story pick``): only that shot's clip is
    made anew, and the choice holds on every later run."""
    folder = stories.story_folder(state.settings, story_id)
    await pick_candidate(
        _runs(state), state.rt, folder, body.shot, body.candidate, budget_usd=body.budget_usd
    )
    return _shown(state, story_id)


@router.post("/stories/{story_id}/finalize", status_code=202)
async def finalize(story_id: str, state: State, body: StoryFinalizeIn) -> dict[str, Any]:
    """Redraw the chosen drafts on the final models in the background (as ``storyreel
    story finalize --shots``); shots finalized before stay final."""
    folder = stories.story_folder(state.settings, story_id)
    options = finalize_options(state.settings, folder, set(body.shots))
    _runs(state).start(
        folder, budget_usd=body.budget_usd, options=options, shots=sorted(set(body.shots))
    )
    return _shown(state, story_id)


@router.get("/stories/{story_id}/outputs")
async def outputs(story_id: str, state: State) -> dict[str, Any]:
    """The last finished run's video, contact sheet and every exported file, each with
    its download URL."""
    folder = stories.story_folder(state.settings, story_id)
    found = stories.outputs(folder)

    def url(file: str) -> str:
        return f"{BASE}/{story_id}/outputs/{file}"

    found["video"]["url"] = url(found["video"]["file"])
    found["contact_sheet"]["url"] = url(found["contact_sheet"]["file"])
    found["files"] = [{"file": f, "url": url(f)} for f in found["files"]]
    return found


@router.get("/stories/{story_id}/outputs/{file:path}", response_class=FileResponse)
async def download(story_id: str, file: str, state: State) -> FileResponse:
    """One exported file, only from inside the story's output folder."""
    folder = stories.story_folder(state.settings, story_id)
    path = stories.output_file(folder, file)
    return FileResponse(path, filename=path.name)
