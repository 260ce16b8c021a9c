"""``/ui/studio/{story_id}/board``: the Story studio's storyboard grid, a card per shot
(panel, clip, identity scores, draft or final, candidates, cost) with its actions:
regenerate a panel or a clip, pick a best-of-N candidate, finalize chosen drafts; and the
exports strip.

The studio page loads the board as an htmx fragment into its
``<section id="storyboard" hx-trigger="load, storyboard-refresh from:body">``; opened
directly in the browser, the same URL is a page of its own (a link to share). Every action
is the service the API and the CLI use (``services.story_runs``): it starts the story's
run in the background and answers with the card it changed, plus the board's watcher,
which polls until the run ends and then fires ``storyboard-refresh``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from storyreel.api.state import ApiState, api_state
from storyreel.errors import InputError
from storyreel.services import stories
from storyreel.services.story_runs import finalize_options, pick_candidate, require_runs
from storyreel.services.storyboard import Board, storyboard
from storyreel.story.redo import Redo

from ..nav import NavEntry
from ..templating import render

router = APIRouter()
PAGE: NavEntry | None = None  # inside the studio, not in the navigation

BOARD = "/studio/{story_id}/board"
REFRESH = {"HX-Trigger": "storyboard-refresh"}
STOP_POLLING = 286  # htmx stops an ``every`` trigger on this status


async def _board(request: Request, story_id: str) -> tuple[ApiState, stories.StoryFolder, Board]:
    state = await api_state(request)
    folder = stories.story_folder(state.settings, story_id)
    return state, folder, await storyboard(state.settings, state.rt, folder)


def _is_htmx(request: Request) -> bool:
    return "hx-request" in request.headers


@router.get(BOARD, include_in_schema=False)
async def board(request: Request, story_id: str) -> HTMLResponse:
    """The fragment for htmx; a whole page for a browser that opens the link."""
    _, _, shown = await _board(request, story_id)
    template = "storyboard/board.html" if _is_htmx(request) else "storyboard/page.html"
    response = render(request, template, {"board": shown})
    response.headers["Vary"] = "HX-Request"
    return response


@router.get(BOARD + "/shots/{number}", include_in_schema=False)
async def card(request: Request, story_id: str, number: int) -> HTMLResponse:
    _, _, shown = await _board(request, story_id)
    return _card(request, shown, number)


@router.get(BOARD + "/watch", include_in_schema=False)
async def watch(request: Request, story_id: str) -> Response:
    """Polled while the story runs: nothing to do until the run ends, then the board
    refreshes (and the polling stops)."""
    state = await api_state(request)
    folder = stories.story_folder(state.settings, story_id)
    run = stories.read_run(folder) or {}
    if run.get("state") == "running":
        return Response(status_code=204)
    return Response(status_code=STOP_POLLING, headers=REFRESH)


@router.post(BOARD + "/shots/{number}/regenerate", include_in_schema=False)
async def regenerate(
    request: Request,
    story_id: str,
    number: int,
    stage: Annotated[Literal["panel", "clip"], Form()],
) -> HTMLResponse:
    """``story redo --shot N --stage panel|clip``, as ``POST /api/v1/stories/{id}/redo``."""
    state, folder, shown = await _board(request, story_id)
    shown.card(number)
    require_runs(state.story_runs).start(folder, redo=Redo(number, stage))
    return await _changed(request, state, folder, number)


@router.post(BOARD + "/shots/{number}/pick", include_in_schema=False)
async def pick(
    request: Request, story_id: str, number: int, candidate: Annotated[int, Form()]
) -> HTMLResponse:
    """``story pick --shot N --candidate K``: candidate K becomes the panel."""
    state, folder, shown = await _board(request, story_id)
    drawn = max((c.number for c in shown.card(number).candidates), default=0)
    if not drawn:
        raise InputError(f"shot {number} has no candidates to pick from")
    await pick_candidate(require_runs(state.story_runs), state.rt, folder, number, candidate, drawn)
    return await _changed(request, state, folder, number)


@router.post(BOARD + "/finalize", include_in_schema=False)
async def finalize(
    request: Request, story_id: str, shots: Annotated[list[int] | None, Form()] = None
) -> Response:
    """``story finalize --shots``: the selected drafts on the final models; the board
    refreshes to show them running."""
    state, folder, shown = await _board(request, story_id)
    for number in shots or ():
        shown.card(number)
    chosen = set(shots or ())
    options = finalize_options(state.settings, folder, chosen)
    require_runs(state.story_runs).start(folder, options=options, shots=sorted(chosen))
    return Response(status_code=204, headers=REFRESH)


async def _changed(
    request: Request, state: ApiState, folder: stories.StoryFolder, number: int
) -> HTMLResponse:
    """The card after an action, with the board's watcher swapped in out of band."""
    shown = await storyboard(state.settings, state.rt, folder)
    return _card(request, shown, number, watcher=True)


def _card(request: Request, shown: Board, number: int, *, watcher: bool = False) -> HTMLResponse:
    context = {"board": shown, "card": shown.card(number), "oob_watch": watcher}
    return render(request, "storyboard/card_fragment.html", context)
