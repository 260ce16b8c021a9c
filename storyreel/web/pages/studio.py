"""``/ui/studio``: the stored stories, and the ways to make one: a form (title, characters
with descriptions, the story text), a YAML editor, an uploaded story file, or the bundled
demo story. Every one is checked by the CLI's loader (``services.stories.create_story``);
a refused story shows one clear error above the form it came from.

The story page itself (characters, plan, runs, outputs) is ``studio_story``."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storyreel.api.state import api_state
from storyreel.config import Settings
from storyreel.errors import InputError, StoryreelError
from storyreel.services import stories

from ..nav import NavEntry
from ..templating import render

router = APIRouter()
PAGE = NavEntry("Story studio", "/ui/studio")
DEMO = "lighthouse.yaml"
"""The bundled demo (``storyreel demo`` runs the same file): offline sketch panels and
motion clips, so it runs without any provider key."""


def _listed(settings: Settings) -> list[dict[str, Any]]:
    """Every stored story that still loads (a broken one is skipped, not a 500)."""
    shown = []
    for story_id in stories.stored_ids(settings):
        try:
            folder = stories.story_folder(settings, story_id)
            shown.append(stories.describe(settings, folder))
        except StoryreelError:
            continue
    return shown


async def _page(
    request: Request, *, error: str | None = None, form: str | None = None, **kept: str
) -> HTMLResponse:
    state = await api_state(request)
    context = {
        "stories": _listed(state.settings),
        "error": error,
        "error_form": form,
        "kept": {"title": "", "characters": "", "text": "", "yaml": ""} | kept,
    }
    return render(request, "studio/list.html", context, status_code=400 if error else 200)


@router.get("/studio")
async def studio(request: Request) -> HTMLResponse:
    return await _page(request)


def _created(story_id: str) -> Response:
    return RedirectResponse(f"/ui/studio/{story_id}", status_code=303)


def characters_from(text: str) -> list[dict[str, str]]:
    """The form's characters box: one per line, ``Name: description`` (or just a name)."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, _, description = line.partition(":")
        if not name.strip():
            raise InputError(f"characters, line {number}: write 'Name: description'")
        found.append({"name": name.strip(), "description": description.strip()})
    return found


@router.post("/studio/new")
async def create_from_form(
    request: Request,
    title: Annotated[str, Form(max_length=300)],
    text: Annotated[str, Form(max_length=100_000)],
    characters: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    state = await api_state(request)
    try:
        raw = {"title": title, "characters": characters_from(characters), "story": text}
        story_id = stories.create_story(state.settings, raw, name="the new story")
    except InputError as exc:
        kept = {"title": title, "characters": characters, "text": text}
        return await _page(request, error=exc.message, form="new", **kept)
    return _created(story_id)


@router.post("/studio/yaml")
async def create_from_yaml(
    request: Request, source: Annotated[str, Form(max_length=stories.MAX_STORY_BYTES)]
) -> Response:
    state = await api_state(request)
    try:
        raw = stories.parse_story_file(source.encode("utf-8"), "the story YAML")
        story_id = stories.create_story(state.settings, raw, name="the story YAML")
    except InputError as exc:
        return await _page(request, error=exc.message, form="yaml", yaml=source)
    return _created(story_id)


@router.post("/studio/upload")
async def create_from_upload(request: Request, file: Annotated[UploadFile, File()]) -> Response:
    state = await api_state(request)
    name = (file.filename or "story.yaml")[:200]
    try:
        raw = stories.parse_story_file(await file.read(stories.MAX_STORY_BYTES + 1), name)
        story_id = stories.create_story(state.settings, raw, name=name)
    except InputError as exc:
        return await _page(request, error=exc.message, form="upload")
    return _created(story_id)


@router.post("/studio/demo")
async def open_demo(request: Request) -> Response:
    """A stored copy of the bundled demo story (each click makes a new one to play with)."""
    state = await api_state(request)
    data = resources.files("storyreel.examples").joinpath(DEMO).read_bytes()
    story_id = stories.create_story(state.settings, stories.parse_story_file(data, DEMO), name=DEMO)
    return _created(story_id)
