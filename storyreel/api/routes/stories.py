"""``/api/v1/stories``: a story from a JSON body or an uploaded YAML file, its plan and
estimate (the same functions as ``storyreel story plan`` and ``storyreel cost``), and its
progress (stage, per-shot state, errors, spent vs budget) as JSON or server-sent events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, UploadFile
from sse_starlette import EventSourceResponse

from storyreel.services import stories
from storyreel.services.stories import MAX_STORY_BYTES
from storyreel.services.story_runs import run_progress
from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story
from storyreel.story.requests import estimate_story

from ..state import ApiState, api_state

router = APIRouter(tags=["stories"])
State = Annotated[ApiState, Depends(api_state)]


def _plan_and_estimate(state: ApiState, text: str, name: str) -> dict[str, Any]:
    story = parse_story(text, name=name)
    shots = plan_story(story)
    estimate = estimate_story(state.catalog, story, shots, {})
    return {
        "title": story.title,
        "shots": [
            {
                "number": s.number,
                "beat": s.beat,
                "action": s.action,
                "setting": s.setting,
                "camera": s.camera,
                "motion": s.motion,
                "duration": s.duration,
                "characters": list(s.characters),
            }
            for s in shots
        ],
        "estimate_usd": None if estimate.total_usd is None else str(estimate.total_usd),
        "errors": estimate.errors,
    }


@router.post("/stories/plan")
async def plan_json(state: State, story: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Plan and price a story given as JSON (the story file's fields); generates nothing.
    Character reference images are not part of a JSON story."""
    return _plan_and_estimate(state, json.dumps(story), "story.json")


async def read_story_upload(file: UploadFile) -> tuple[str, Any]:
    """An uploaded story file (YAML or JSON): its text and parsed content, capped."""
    data = await file.read(MAX_STORY_BYTES + 1)
    raw = stories.parse_story_file(data, file.filename or "story")
    return data.decode("utf-8"), raw


@router.post("/stories/plan/upload")
async def plan_upload(state: State, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """The same for an uploaded story file (YAML)."""
    text, _ = await read_story_upload(file)
    return _plan_and_estimate(state, text, file.filename or "story.yaml")


@router.get("/stories/{project_id}/status")
async def status(project_id: str, state: State) -> dict[str, Any]:
    """Stage, per-shot state, errors, and spent vs budget of a story's project; given a
    stored story's id (``POST /stories``), of its last run, with that run's ``run`` state."""
    return await run_progress(state.settings, state.rt, project_id)


async def _events(state: ApiState, project_id: str) -> AsyncIterator[dict[str, str]]:
    last = ""
    while True:
        snapshot = await run_progress(state.settings, state.rt, project_id)
        data = json.dumps(snapshot)
        if data != last:
            yield {"event": "progress", "data": data}
            last = data
        run = snapshot.get("run")
        if (
            run is None and snapshot["stage"] in ("failed", "assembling") and snapshot["shots"]
        ) or (run is not None and run["state"] != "running"):
            yield {"event": "end", "data": data}
            return
        await asyncio.sleep(0.5)


@router.get("/stories/{project_id}/events", response_class=EventSourceResponse)
async def events(project_id: str, state: State) -> EventSourceResponse:
    """Server-sent events of a story run's progress (a project's, or a stored story's
    run: that stream ends when the run does)."""
    await run_progress(state.settings, state.rt, project_id)  # 404 before the stream starts
    return EventSourceResponse(_events(state, project_id))
