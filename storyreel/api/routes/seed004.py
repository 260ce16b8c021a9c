"""Seed 004's service, unchanged: ``POST /jobs`` (image to video), ``GET /jobs/{id}``,
``GET /jobs?status=&limit=``, ``POST /images``, ``GET /images/{id}``, ``GET /images?status=``,
``GET /images/models``.

Its clients use integer ids and its own status words (pending, submitted, running,
completed, failed); a ``seed_jobs`` row numbers each storyreel job that serves one, and
the status is read from the storyreel job (the end of its failover chain) every time.
Image URLs are fetched through the SSRF guard before anything is created.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from storyreel.errors import NotFound
from storyreel.providers.types import JobState
from storyreel.services import jobs as job_service
from storyreel.services.generation import pick_model, prepare
from storyreel.store.models import Job, SeedJob
from storyreel.vocabulary import Task

from ..schemas import ASSETS
from ..state import ApiState, api_state

router = APIRouter(tags=["seed 004 service"])
State = Annotated[ApiState, Depends(api_state)]
SeedId = Annotated[int, Path(ge=1, le=2**31 - 1)]
SeedStatus = Literal["pending", "submitted", "running", "completed", "failed"]
IMAGE_MODELS = ("gpt-image-1.5", "kling-image", "nano-banana", "nano-banana-pro")

_FROM_SEED: dict[str, list[str]] = {
    "pending": [JobState.QUEUED.value],
    "submitted": [JobState.RUNNING.value],
    "running": [JobState.RUNNING.value],
    "completed": [JobState.SUCCEEDED.value],
    "failed": [JobState.FAILED.value, JobState.CANCELED.value],
}


class VideoJobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image_url: str = Field(min_length=1, max_length=4000)
    motion_prompt: str = Field(min_length=1, max_length=5000)
    resolution: str = Field(default="1080p", max_length=10)
    duration_sec: float = Field(default=5, gt=0, le=60)
    model: str = Field(default="kling", min_length=1, max_length=200)


class ImageJobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_image_url: str = Field(min_length=1, max_length=4000)
    prompt: str = Field(min_length=1, max_length=5000)
    model: str = Field(default="gpt-image-1.5", min_length=1, max_length=200)
    aspect_ratio: Literal["1:1", "9:16", "16:9", "4:3", "3:4"] = "9:16"
    quality: Literal["low", "medium", "high"] = "high"
    num_images: int = Field(default=1, ge=1, le=4)


class SeedJobOut(BaseModel):
    id: int
    status: SeedStatus
    job_id: str = Field(description="The storyreel job (see /api/v1/jobs/{job_id}).")
    model_id: str
    error: str | None
    cost_usd: Decimal | None
    estimate_usd: Decimal | None
    created_at: datetime
    completed_at: datetime | None


class VideoJobOut(SeedJobOut):
    image_url: str
    motion_prompt: str
    resolution: str
    duration_sec: float
    model: str
    video_url: str | None


class ImageJobOut(SeedJobOut):
    source_image_url: str
    prompt: str
    model: str
    aspect_ratio: str
    quality: str
    num_images: int
    image_urls: list[str]


class ImageModelOut(BaseModel):
    id: str
    model_id: str
    title: str
    price: str


def seed_status(job: Job) -> SeedStatus:
    if job.status == JobState.QUEUED.value:
        return "pending"
    if job.status == JobState.RUNNING.value:
        return "submitted" if job.handle is None else "running"
    return "completed" if job.status == JobState.SUCCEEDED.value else "failed"


async def _common(state: ApiState, row: SeedJob) -> tuple[dict[str, Any], Job]:
    job = await job_service.final_job(state.rt, row.job_id)
    return {
        "id": row.id,
        "status": seed_status(job),
        "job_id": job.id,
        "model_id": job.model,
        "error": job.error,
        "cost_usd": job.cost_usd,
        "estimate_usd": job.estimate_usd,
        "created_at": row.created_at,
        "completed_at": job.finished_at,
    }, job


async def _video_out(state: ApiState, row: SeedJob) -> VideoJobOut:
    common, job = await _common(state, row)
    url = f"{ASSETS}/{job.outputs[0].asset_sha256}" if job.outputs else None
    return VideoJobOut(**common, **row.request, video_url=url)


async def _image_out(state: ApiState, row: SeedJob) -> ImageJobOut:
    common, job = await _common(state, row)
    urls = [f"{ASSETS}/{o.asset_sha256}" for o in job.outputs]
    return ImageJobOut(**common, **row.request, image_urls=urls)


async def _record(state: ApiState, kind: str, job: Job, request: dict[str, Any]) -> SeedJob:
    async with state.rt.db.session() as session:
        row = SeedJob(kind=kind, job_id=job.id, request=request)
        session.add(row)
        await session.flush()
        return row


async def _row(state: ApiState, kind: str, seed_id: int) -> SeedJob:
    async with state.rt.db.session() as session:
        row = await session.get(SeedJob, seed_id)
    if row is None or row.kind != kind:
        raise NotFound(f"{'job' if kind == 'video' else 'image job'} {seed_id} not found")
    return row


async def _rows(state: ApiState, kind: str, status: SeedStatus | None, limit: int) -> list[SeedJob]:
    stmt = select(SeedJob).where(SeedJob.kind == kind).order_by(SeedJob.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.join(Job, Job.id == SeedJob.job_id).where(Job.status.in_(_FROM_SEED[status]))
    async with state.rt.db.session() as session:
        return list((await session.execute(stmt)).scalars().all())


@router.post("/jobs", response_model=VideoJobOut)
async def create_video_job(body: VideoJobIn, state: State) -> VideoJobOut:
    """Queue an image-to-video job (seed 004)."""
    entry, _task = pick_model(state.catalog, body.model, "video", 1)
    image = await state.fetch_image(body.image_url)
    prepared = prepare(
        state.catalog,
        kind="video",
        model=entry.id,
        prompt=body.motion_prompt,
        files=[image],
        duration=body.duration_sec,
        # A model with one fixed output size (Kling) takes no resolution: the seed's
        # client sends its default anyway.
        resolution=body.resolution if entry.resolutions else None,
    )
    job = await state.submit(
        prepared.with_references(state.rt.assets), estimate_usd=prepared.estimate_usd
    )
    row = await _record(state, "video", job, body.model_dump())
    return await _video_out(state, row)


@router.get("/jobs/{seed_id}", response_model=VideoJobOut)
async def get_video_job(seed_id: SeedId, state: State) -> VideoJobOut:
    return await _video_out(state, await _row(state, "video", seed_id))


@router.get("/jobs", response_model=list[VideoJobOut])
async def list_video_jobs(
    state: State,
    status: SeedStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[VideoJobOut]:
    return [await _video_out(state, r) for r in await _rows(state, "video", status, limit)]


@router.get("/images/models", response_model=list[ImageModelOut])
async def image_models(state: State) -> list[ImageModelOut]:
    """Seed 004's image models, as this catalog prices them."""
    out = []
    for name in IMAGE_MODELS:
        if name in state.catalog:
            entry = state.catalog.resolve(name, Task.IMAGE_TO_IMAGE)
            out.append(
                ImageModelOut(
                    id=name, model_id=entry.id, title=entry.title, price=entry.price.summary()
                )
            )
    return out


@router.post("/images", response_model=ImageJobOut)
async def create_image_job(body: ImageJobIn, state: State) -> ImageJobOut:
    """Queue an image edit of ``source_image_url`` (seed 004)."""
    pick_model(state.catalog, body.model, "image", 1)  # a bad model fails before the fetch
    image = await state.fetch_image(body.source_image_url)
    prepared = prepare(
        state.catalog,
        kind="image",
        model=body.model,
        prompt=body.prompt,
        files=[image],
        aspect=body.aspect_ratio,
        count=body.num_images,
        extra={"quality": body.quality},
    )
    job = await state.submit(
        prepared.with_references(state.rt.assets), estimate_usd=prepared.estimate_usd
    )
    row = await _record(state, "image", job, body.model_dump())
    return await _image_out(state, row)


@router.get("/images/{seed_id}", response_model=ImageJobOut)
async def get_image_job(seed_id: SeedId, state: State) -> ImageJobOut:
    return await _image_out(state, await _row(state, "image", seed_id))


@router.get("/images", response_model=list[ImageJobOut])
async def list_image_jobs(
    state: State,
    status: SeedStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[ImageJobOut]:
    return [await _image_out(state, r) for r in await _rows(state, "image", status, limit)]
