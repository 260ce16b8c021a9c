"""``/ui/models``: the catalog with filters, and the subscription break-even calculator
(seed 000: ModelsLab's monthly plan against paying per use).

Both forms are plain GET forms (they work without JavaScript); htmx swaps only the table
or the calculator's answer. Every number comes from ``services.models`` and
``services.subscription``, the code behind ``storyreel models`` and ``storyreel cost
compare``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from storyreel.api.state import ApiState, api_state
from storyreel.errors import InputError, StoryreelError
from storyreel.services import subscription
from storyreel.services.models import ModelFilters, facets, model_rows, models_for

from ..nav import NavEntry
from ..templating import render

router = APIRouter()
PAGE = NavEntry("Models & prices", "/ui/models")
State = Annotated[ApiState, Depends(api_state)]
Count = Annotated[int, Query(ge=0, le=100_000)]
Text = Annotated[str, Query(max_length=200)]


@dataclass(frozen=True)
class Usage:
    """The calculator's inputs: a month of stories, each of so many shots."""

    stories: int = 10
    shots: int = 50
    images_per_shot: int = 3
    clips_per_shot: int = 2
    image_model: str = subscription.DEFAULT_IMAGE_MODEL
    video_model: str = subscription.DEFAULT_VIDEO_MODEL
    story: str = ""
    """A story whose planned shots replace ``shots`` (``subscription.story_choices``)."""


def _max_price(text: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        value = Decimal(text.strip().lstrip("$"))
    except InvalidOperation:
        raise InputError(f"max price {text!r} is not an amount in dollars, e.g. 0.05") from None
    if not value.is_finite() or value < 0:
        raise InputError("max price must be zero or more dollars")
    return value


def _catalog_context(state: ApiState, filters: ModelFilters, error: str | None) -> dict[str, Any]:
    rows = [] if error else model_rows(state.catalog, filters)
    return {"rows": rows, "filters": filters, "filter_error": error, **facets(state.catalog)}


def _break_even_context(state: ApiState, usage: Usage) -> dict[str, Any]:
    story = None
    try:
        shots = usage.shots
        if usage.story:
            loaded = subscription.load_choice(state.settings, usage.story)
            story = subscription.story_cost(state.catalog, loaded)
            shots = story.shots
        result = subscription.compare(
            state.catalog,
            stories_per_month=usage.stories,
            images_per_story=shots * usage.images_per_shot,
            videos_per_story=shots * usage.clips_per_shot,
            image_model=usage.image_model,
            video_model=usage.video_model,
        )
    except StoryreelError as exc:
        return {"usage": usage, "result": None, "story": None, "calc_error": exc.message}
    return {"usage": usage, "result": result, "story": story, "calc_error": None}


def usage_query(
    stories: Count = 10,
    shots: Count = 50,
    images_per_shot: Annotated[int, Query(ge=0, le=1_000)] = 3,
    clips_per_shot: Annotated[int, Query(ge=0, le=1_000)] = 2,
    image_model: Text = subscription.DEFAULT_IMAGE_MODEL,
    video_model: Text = subscription.DEFAULT_VIDEO_MODEL,
    story: Annotated[str, Query(max_length=100)] = "",
) -> Usage:
    return Usage(
        stories, shots, images_per_shot, clips_per_shot, image_model, video_model, story.strip()
    )


UsageQuery = Annotated[Usage, Depends(usage_query)]


def _is_htmx(request: Request) -> bool:
    return "hx-request" in request.headers


@router.get("/models")
async def models_page(
    request: Request,
    state: State,
    usage: UsageQuery,
    kind: Text = "",
    provider: Text = "",
    task: Text = "",
    q: Text = "",
    max_price: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The whole page (both forms submit here without JavaScript), or (an htmx request
    from the filters) just the table."""
    error = None
    try:
        filters = ModelFilters(kind, provider, task, q.strip(), _max_price(max_price))
    except InputError as exc:
        filters, error = ModelFilters(kind, provider, task, q.strip()), exc.message
    context = _catalog_context(state, filters, error)
    if _is_htmx(request):
        return render(request, "models/catalog.html", context)
    usage_context = _break_even_context(state, usage)
    choices = {
        "image_models": models_for(state.catalog, "image"),
        "video_models": models_for(state.catalog, "video"),
        "stories": subscription.story_choices(state.settings),
        "max_price": max_price,
    }
    return render(request, "models/page.html", context | usage_context | choices)


@router.get("/models/break-even")
async def break_even(request: Request, state: State, usage: UsageQuery) -> HTMLResponse:
    """The calculator's answer for these inputs (an htmx fragment)."""
    return render(request, "models/break_even.html", _break_even_context(state, usage))
