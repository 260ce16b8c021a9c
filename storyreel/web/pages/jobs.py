"""``/ui/jobs``: every job, newest first, live. Filters (state, provider, model, kind),
keyset "load more", cancel and retry, failures in words, failover links, and a detail view
with the output; rows change in place as jobs move, over server-sent events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from sse_starlette import EventSourceResponse

from storyreel.api.state import ApiState, api_state
from storyreel.catalog import Catalog
from storyreel.providers.types import JobState
from storyreel.services import jobs as job_service

from ..jobrows import job_row, job_rows
from ..jobstream import KINDS, JobFilter, detail_events, row_events
from ..nav import NavEntry
from ..templating import render

router = APIRouter()
PAGE = NavEntry("Jobs", "/ui/jobs")
PAGE_SIZE = 50

State = Annotated[ApiState, Depends(api_state)]
JobId = Annotated[str, Path(min_length=1, max_length=26, pattern=r"^[0-9A-Za-z]+$")]
Cursor = Annotated[str | None, Query(max_length=26, pattern=r"^[0-9A-Za-z]*$")]
View = Annotated[str | None, Query(pattern="^(row|detail)$")]


def filters(
    status: Annotated[JobState | None, Query()] = None,
    provider: Annotated[str | None, Query(max_length=40)] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    kind: Annotated[str | None, Query(pattern=f"^({'|'.join(KINDS)})?$")] = None,
) -> JobFilter:
    return JobFilter.of(status.value if status else None, provider, model, kind)


Filters = Annotated[JobFilter, Depends(filters)]


async def _page(state: ApiState, wanted: JobFilter, before: str | None) -> dict[str, Any]:
    jobs, more = await job_service.list_jobs(
        state.rt,
        status=wanted.status,
        provider=wanted.provider,
        model=wanted.model,
        task=wanted.tasks(),
        before=before or None,
        limit=PAGE_SIZE,
    )
    rows = await job_rows(state.rt, jobs, client=state.client)
    return {"rows": rows, "more": more, "filters": wanted, "retried_as": None}


@router.get("/jobs", response_class=HTMLResponse)
async def jobs_page(request: Request, state: State, wanted: Filters) -> HTMLResponse:
    catalog = Catalog.load(state.rt.settings)
    context = await _page(state, wanted, None)
    top = context["rows"][0].id if context["rows"] else ""
    context |= {
        "since": top,
        "states": [s.value for s in JobState],
        "providers": sorted(catalog.providers()),
        "models": sorted(entry.id for entry in catalog.models()),
        "kinds": KINDS,
    }
    return render(request, "jobs/page.html", context)


@router.get("/jobs/rows", response_class=HTMLResponse)
async def more_rows(
    request: Request, state: State, wanted: Filters, before: Cursor = None
) -> HTMLResponse:
    """The next page of rows, and the button for the one after (swapped out of band)."""
    context = await _page(state, wanted, before) | {"oob": True}
    return render(request, "jobs/more.html", context)


@router.get("/jobs/events", response_class=EventSourceResponse)
async def job_events(
    state: State, wanted: Filters, since: Cursor = None, job: Cursor = None
) -> EventSourceResponse:
    """Rows of the table that changed (``job-<id>``, ``new``), or with ``job`` that job's
    detail view (``detail``, then ``end`` once it is final)."""
    if job:
        await job_service.get_job(state.rt, job)  # 404 before the stream starts
        return EventSourceResponse(detail_events(state, job))
    return EventSourceResponse(row_events(state, wanted, since or ""))


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
async def job_detail(request: Request, state: State, job_id: JobId) -> HTMLResponse:
    job = await job_service.get_job(state.rt, job_id)
    catalog = Catalog.load(state.rt.settings)
    row = await job_row(state.rt, job, catalog=catalog, client=state.client)
    return render(request, "jobs/detail.html", {"job": row, "record": job})


async def _row_response(
    request: Request, state: State, job_id: str, retried_as: str | None = None
) -> HTMLResponse:
    job = await job_service.get_job(state.rt, job_id)
    catalog = Catalog.load(state.rt.settings)
    row = await job_row(state.rt, job, catalog=catalog, client=state.client)
    return render(request, "jobs/row.html", {"job": row, "retried_as": retried_as})


@router.post("/jobs/{job_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, state: State, job_id: JobId, view: View = None) -> HTMLResponse:
    """Stop a queued or running job; the row comes back canceled (a 422 toast if it had
    already ended). From the detail view, the view reloads."""
    await job_service.cancel(state.rt, job_id, client=state.client)
    if view == "detail":
        return HTMLResponse("", headers={"HX-Refresh": "true"})
    return await _row_response(request, state, job_id)


@router.post("/jobs/{job_id}/retry", response_class=HTMLResponse)
async def retry(request: Request, state: State, job_id: JobId, view: View = None) -> HTMLResponse:
    """Run a failed or canceled job's request again as a new job; the old row comes back
    with a link to the new one (which the live stream puts on top). From the detail view,
    the browser goes to the new job's."""
    new = await job_service.retry(state.rt, job_id, client=state.client)
    if view == "detail":
        return HTMLResponse("", headers={"HX-Redirect": f"/ui/jobs/{new.id}"})
    return await _row_response(request, state, job_id, retried_as=new.id)
