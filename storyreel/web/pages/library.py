"""``/ui/library``: every generated image and video as a 150 px thumbnail, newest first.

Cards come 100 at a time: the page renders the first batch and the last card of each
batch is a sentinel that htmx swaps for the next one when it scrolls into view
(``hx-trigger="revealed"``), by the keyset cursor of ``services.library`` (never an
OFFSET, so the 1,000th batch costs what the first does). The filter form is a GET form:
htmx swaps the grid and pushes the URL, and the same URL loaded directly renders the whole
page. The lightbox loads one asset's metadata as a fragment; "download selected" posts the
chosen ids and gets a zip streamed from the asset store.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, StreamingResponse

from storyreel.api.state import ApiState, api_state
from storyreel.errors import InputError
from storyreel.services import library, library_detail, library_zip

from ..nav import NavEntry
from ..templating import render

router = APIRouter()
PAGE = NavEntry("Library", "/ui/library")
BATCH = 100
State = Annotated[ApiState, Depends(api_state)]


@dataclass(frozen=True)
class Filters:
    """The filter form's values as typed (empty: no filter)."""

    kind: str = ""
    model: str = ""
    project: str = ""
    since: str = ""
    until: str = ""

    def query(self) -> dict[str, Any]:
        """Keyword arguments of ``services.library.list_assets``."""
        return {
            "kind": self.kind or None,
            "model": self.model or None,
            "project_id": self.project or None,
            "since": _day(self.since, "from"),
            "until": _day(self.until, "to", next_day=True),
        }

    def params(self, **more: str) -> str:
        """The query string of these filters (only the ones set), plus ``more``."""
        return urlencode({k: v for k, v in (asdict(self) | more).items() if v})


def _day(text: str, label: str, *, next_day: bool = False) -> datetime | None:
    """A date input's ``YYYY-MM-DD`` as midnight UTC; the "to" day is included whole."""
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"the {label} date must be YYYY-MM-DD, not {text[:30]!r}") from None
    return day + timedelta(days=1) if next_day else day


def filters(
    kind: Annotated[str, Query(pattern=r"^(|image|video)$")] = "",
    model: Annotated[str, Query(max_length=200)] = "",
    project: Annotated[str, Query(max_length=26)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> Filters:
    return Filters(kind=kind, model=model, project=project, since=since, until=until)


Chosen = Annotated[Filters, Depends(filters)]


async def _batch(state: ApiState, chosen: Filters, before: str | None) -> dict[str, Any]:
    items, more = await library.list_assets(state.rt, **chosen.query(), before=before, limit=BATCH)
    return {
        "items": items,
        "next_url": f"/ui/library/cards?{chosen.params(before=more)}" if more else None,
        "first_batch": before is None,
    }


def _is_swap(request: Request) -> bool:
    """An htmx request for the grid (a filter change), not a history restore (which
    wants the whole page)."""
    headers = request.headers
    return "hx-request" in headers and "hx-history-restore-request" not in headers


@router.get("/library", include_in_schema=False)
async def library_page(request: Request, state: State, chosen: Chosen) -> HTMLResponse:
    context = await _batch(state, chosen, None)
    vary = {"Vary": "HX-Request"}
    if _is_swap(request):
        return render(request, "library/cards.html", context, headers=vary)
    models = [entry.id for entry in state.catalog.models()]
    if chosen.model and chosen.model not in models:
        models.append(chosen.model)
    context |= {
        "filters": chosen,
        "models": models,
        "projects": await library.project_choices(state.rt),
        "max_files": library_zip.MAX_FILES,
    }
    return render(request, "library/page.html", context, headers=vary)


@router.get("/library/cards", include_in_schema=False)
async def library_cards(
    request: Request,
    state: State,
    chosen: Chosen,
    before: Annotated[str, Query(max_length=40)],
) -> HTMLResponse:
    """The next batch of cards (and the next sentinel) after the cursor ``before``."""
    return render(request, "library/cards.html", await _batch(state, chosen, before))


def reuse_url(detail: library_detail.AssetDetail) -> str:
    """The playground, filled in with this generation's settings."""
    params = {"model": detail.model, "prompt": detail.prompt, "kind": detail.kind}
    if detail.seed is not None:
        params["seed"] = str(detail.seed)
    return f"/ui/playground?{urlencode(params)}"


@router.get("/library/item/{item}", include_in_schema=False)
async def library_item(
    request: Request, state: State, item: Annotated[str, PathParam(max_length=40)]
) -> HTMLResponse:
    """The lightbox's content for one asset (``<job id>.<position>``)."""
    detail = await library_detail.asset_detail(state.rt, item)
    return render(request, "library/detail.html", {"d": detail, "reuse_url": reuse_url(detail)})


@router.post("/library/zip", include_in_schema=False)
async def library_zip_download(
    state: State, sha: Annotated[list[str] | None, Form()] = None
) -> StreamingResponse:
    """The selected assets as one zip, streamed from the asset store."""
    entries = await library_zip.plan_zip(state.rt, sha or [])
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    headers = {"Content-Disposition": f'attachment; filename="storyreel-{stamp}.zip"'}
    return StreamingResponse(
        library_zip.stream_zip(entries), media_type="application/zip", headers=headers
    )
