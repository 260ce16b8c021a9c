"""``/api/v1/bulk``: seed 004's bulk generation over HTTP, on the same functions as
``storyreel bulk``: a dry run (the matrix and its estimate), a run (every job created in one
transaction and queued), its status, its ``index.csv``, and an export of its videos to the
data dir's downloads folder under seed 004's names.

Images are referred to by the sha256 that ``POST /api/v1/uploads`` returned (each upload is
checked once there: type, bytes, pixels), so a bulk request is small JSON. Prompts are the
prompts file's text (``---`` or blank-line separators) or a list of prompts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from storyreel.bulk.export import bulk_index
from storyreel.bulk.inputs import MAX_IMAGES, MAX_PROMPTS_BYTES
from storyreel.bulk.matrix import MAX_ITEMS
from storyreel.bulk.plan import DEFAULT_MODEL, BulkOptions, BulkPlan
from storyreel.bulk.run import bulk_status
from storyreel.services import bulk as bulk_service
from storyreel.services.bulk import BulkPlanOut, plan_stored

from ..state import ApiState, api_state

router = APIRouter(tags=["bulk"])
State = Annotated[ApiState, Depends(api_state)]
BulkId = Annotated[str, Path(min_length=1, max_length=26)]


class BulkImageIn(BaseModel):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="From POST /api/v1/uploads.")
    name: str | None = Field(
        default=None, max_length=200, description="Shown in index.csv; default: the sha."
    )


class BulkIn(BaseModel):
    prompts: (
        Annotated[str, Field(max_length=MAX_PROMPTS_BYTES)]
        | Annotated[list[Annotated[str, Field(max_length=4_000)]], Field(max_length=MAX_ITEMS)]
    ) = Field(description="The prompts file's text, or the prompts as a list.")
    images: list[BulkImageIn] = Field(min_length=1, max_length=MAX_IMAGES)
    model: str = Field(default=DEFAULT_MODEL, min_length=1, max_length=200)
    resolution: str | None = Field(default=None, max_length=16)
    duration: float | None = Field(default=None, gt=0, le=120)
    one_to_one: bool = False
    budget_usd: Decimal | None = Field(default=None, ge=0, allow_inf_nan=False)


class BulkRunOut(BaseModel):
    bulk_id: str
    key: str
    jobs: int
    created: int
    reused: int
    total_usd: Decimal | None


class BulkStatusOut(BaseModel):
    bulk_id: str
    title: str
    items: int
    jobs: int
    finished: int
    states: dict[str, int]
    estimate_usd: Decimal | None
    spent_usd: Decimal
    budget_usd: Decimal | None


class BulkExportOut(BaseModel):
    folder: str
    """Relative to the data dir."""
    files: list[str]
    rows: int


async def _plan(state: ApiState, body: BulkIn) -> BulkPlan:
    options = BulkOptions(
        model=body.model,
        resolution=body.resolution,
        duration=body.duration,
        one_to_one=body.one_to_one,
    )
    images = [(image.sha256, image.name) for image in body.images]
    return await plan_stored(state.rt, state.catalog, images, body.prompts, options, face="API")


@router.post("/bulk/estimate", response_model=BulkPlanOut)
async def estimate(body: BulkIn, state: State) -> BulkPlanOut:
    """The dry run: every image and prompt bound to the model, checked and priced (the
    numbers of ``/api/v1/estimates``), and what an earlier run already made marked
    ``done`` (a run skips it); nothing is created or submitted."""
    return await bulk_service.estimate(state.rt, await _plan(state, body))


@router.post("/bulk", status_code=202, response_model=BulkRunOut)
async def run(body: BulkIn, state: State) -> BulkRunOut:
    """Create every job of the bulk in one transaction and queue them (here, or for the
    workers). The same body again is the same bulk: finished and running jobs are reused,
    nothing is bought twice. A bulk over its budget is refused whole, with nothing created."""
    plan = await _plan(state, body)
    created = await bulk_service.launch(
        state.rt, plan, budget_usd=body.budget_usd, client=state.client
    )
    return BulkRunOut(
        bulk_id=created.bulk_id,
        key=plan.key,
        jobs=len(created.jobs),
        created=created.created,
        reused=created.reused,
        total_usd=plan.total_usd,
    )


@router.get("/bulk/{bulk_id}", response_model=BulkStatusOut)
async def status(bulk_id: BulkId, state: State) -> BulkStatusOut:
    """Its jobs by state, finished of all, and spent vs estimate and budget."""
    s = await bulk_status(state.rt, bulk_id)
    return BulkStatusOut(
        bulk_id=s.bulk_id,
        title=s.title,
        items=s.items,
        jobs=s.jobs,
        finished=s.finished,
        states=s.states,
        estimate_usd=s.estimate_usd,
        spent_usd=s.spent_usd,
        budget_usd=s.budget_usd,
    )


@router.get("/bulk/{bulk_id}/index.csv", response_class=PlainTextResponse)
async def index(bulk_id: BulkId, state: State) -> PlainTextResponse:
    """Seed 004's ``index.csv`` of this bulk, made from the store (one row per image and
    prompt, finished or not)."""
    text = await bulk_index(state.rt, bulk_id)
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8")


@router.post("/bulk/{bulk_id}/export", response_model=BulkExportOut)
async def export(bulk_id: BulkId, state: State) -> BulkExportOut:
    """Copy the finished videos to ``<data dir>/downloads`` under seed 004's names and
    rewrite its ``index.csv`` (idempotent; run it again as more videos finish)."""
    done = await bulk_service.export_downloads(state.rt, state.settings.data_path, bulk_id)
    return BulkExportOut(
        folder=bulk_service.DOWNLOADS, files=[path.name for path in done.files], rows=done.rows
    )
