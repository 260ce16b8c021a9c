"""``/api/v1/jobs``: create, read, list (filters, keyset pages), cancel, retry, and a
live event stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sse_starlette import EventSourceResponse

from storyreel.providers.types import JobState
from storyreel.services import jobs as job_service

from ..generation import create_generation
from ..schemas import GenerateIn, JobOut, JobPage
from ..state import ApiState, api_state

router = APIRouter(tags=["jobs"])
State = Annotated[ApiState, Depends(api_state)]
JobId = Annotated[str, Query(min_length=1, max_length=26)]
EVENT_INTERVAL = 0.25


@router.post("/jobs", status_code=202, response_model=JobOut)
async def create_job(body: GenerateIn, state: State) -> JobOut:
    """Queue one generation on any catalog model; 202 with the job (poll it, or follow
    ``/jobs/{id}/events``). An identical request that succeeded or runs is reused."""
    return JobOut.of(await create_generation(state, body))


@router.get("/jobs", response_model=JobPage)
async def list_jobs(
    state: State,
    status: JobState | None = None,
    project_id: Annotated[str | None, Query(max_length=26)] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    task: Annotated[str | None, Query(max_length=40)] = None,
    before: Annotated[str | None, Query(max_length=26)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobPage:
    """Newest first; ``next_before`` is the cursor of the next page."""
    rows, more = await job_service.list_jobs(
        state.rt,
        status=status,
        project_id=project_id,
        model=model,
        task=task,
        before=before,
        limit=limit,
    )
    return JobPage(jobs=[JobOut.of(j) for j in rows], next_before=more)


@router.get("/jobs/{job_id}", response_model=JobOut)
async def get_job(job_id: str, state: State) -> JobOut:
    return JobOut.of(await job_service.get_job(state.rt, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
async def cancel_job(job_id: str, state: State) -> JobOut:
    """Stop a queued or running job (and tell its provider); 422 if it already ended."""
    return JobOut.of(await job_service.cancel(state.rt, job_id, client=state.client))


@router.post("/jobs/{job_id}/retry", status_code=202, response_model=JobOut)
async def retry_job(job_id: str, state: State) -> JobOut:
    """A failed or canceled job's request again, as a new job."""
    return JobOut.of(await job_service.retry(state.rt, job_id, client=state.client))


async def job_events(state: ApiState, job_id: str) -> AsyncIterator[dict[str, str]]:
    """One ``progress`` event per change (phase, queue position, percent, note, errors,
    cost), following failover to the job that took over; ``end`` when it is final."""
    last = ""
    while True:
        snap = await job_service.progress(state.rt, job_id, client=state.client)
        data = json.dumps(snap.as_dict())
        if data != last:
            yield {"event": "progress", "data": data}
            last = data
        if snap.failover_to:
            job_id = snap.failover_to
            continue
        if snap.terminal:
            yield {"event": "end", "data": data}
            return
        await asyncio.sleep(EVENT_INTERVAL)


@router.get("/jobs/{job_id}/events", response_class=EventSourceResponse)
async def stream_job(job_id: str, state: State) -> EventSourceResponse:
    """Server-sent events of one job until it ends."""
    await job_service.get_job(state.rt, job_id)  # 404 before the stream starts
    return EventSourceResponse(job_events(state, job_id))
