"""An OpenAI-compatible image gateway: ``POST /v1/images/generations``,
``POST /v1/images/edits`` and ``GET /v1/models``, so any OpenAI client can use storyreel
(its cache, budgets and failover) in front of every catalog model. ``model`` is any
catalog id or alias; without one, ``api.image_model``."""

from __future__ import annotations

import base64
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from storyreel.errors import InputError, ProviderJobError
from storyreel.services.generation import prepare
from storyreel.store.models import Job

from ..schemas import ASSETS
from ..state import ApiState, api_state
from .media import read_upload

router = APIRouter(tags=["OpenAI-compatible gateway"])
State = Annotated[ApiState, Depends(api_state)]
MAX_EDIT_IMAGES = 8


class ImagesIn(BaseModel):
    """The fields of OpenAI's image generation request storyreel uses; others are
    accepted and ignored, as OpenAI's own models ignore the ones they do not take."""

    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(min_length=1, max_length=32_000)
    model: str | None = Field(default=None, max_length=200)
    n: int = Field(default=1, ge=1, le=10)
    size: str | None = Field(default=None, max_length=20)
    quality: str | None = Field(default=None, max_length=20)
    response_format: Literal["url", "b64_json"] | None = None


def _size(size: str | None) -> tuple[int | None, int | None]:
    if size is None or size == "auto":
        return None, None
    width, sep, height = size.partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise InputError(f"size must be WIDTHxHEIGHT or auto, got {size[:20]!r}")
    return int(width), int(height)


def _extra(quality: str | None) -> dict[str, Any] | None:
    if quality is None or quality in ("auto", "standard"):
        return None
    return {"quality": quality}


async def _run(
    state: ApiState, body: ImagesIn, files: list[tuple[bytes, str]], request: Request
) -> dict[str, Any]:
    width, height = _size(body.size)
    prepared = prepare(
        state.catalog,
        kind="image",
        model=body.model or state.settings.api.image_model,
        prompt=body.prompt,
        files=files,
        count=body.n,
        width=width,
        height=height,
        extra=_extra(body.quality),
    )
    req = prepared.with_references(state.rt.assets)
    job = await state.wait((await state.submit(req, estimate_usd=prepared.estimate_usd)).id)
    return _response(state, job, body.response_format or "b64_json", request)


def _response(state: ApiState, job: Job, fmt: str, request: Request) -> dict[str, Any]:
    if job.status != "succeeded" or not job.outputs:
        raise ProviderJobError(f"job {job.id} {job.status}: {job.error or 'no output'}")
    data = []
    for output in job.outputs:
        if fmt == "url":
            data.append(
                {"url": str(request.base_url).rstrip("/") + f"{ASSETS}/{output.asset_sha256}"}
            )
        else:
            raw = state.rt.assets.read(output.asset_sha256, output.mime)
            data.append({"b64_json": base64.b64encode(raw).decode()})
    created = int(job.created_at.timestamp()) if job.created_at else int(time.time())
    return {"created": created, "data": data}


@router.post("/images/generations")
async def generations(body: ImagesIn, state: State, request: Request) -> dict[str, Any]:
    """Text to image on any catalog model (waits for the job)."""
    return await _run(state, body, [], request)


@router.post("/images/edits")
async def edits(
    state: State,
    request: Request,
    prompt: Annotated[str, Form(min_length=1, max_length=32_000)],
    image: Annotated[list[UploadFile] | None, File()] = None,
    image_list: Annotated[list[UploadFile] | None, File(alias="image[]")] = None,
    model: Annotated[str | None, Form(max_length=200)] = None,
    n: Annotated[int, Form(ge=1, le=10)] = 1,
    size: Annotated[str | None, Form(max_length=20)] = None,
    quality: Annotated[str | None, Form(max_length=20)] = None,
    response_format: Annotated[Literal["url", "b64_json"] | None, Form()] = None,
) -> dict[str, Any]:
    """Image(s) plus prompt to image: the edit (reference) model of ``model``."""
    uploads = [*(image or []), *(image_list or [])]
    if not uploads:
        raise InputError("image is required: send one or more image files")
    if len(uploads) > MAX_EDIT_IMAGES:
        raise InputError(f"at most {MAX_EDIT_IMAGES} images")
    files = [await read_upload(state, u) for u in uploads]
    body = ImagesIn(
        prompt=prompt,
        model=model,
        n=n,
        size=size,
        quality=quality,
        response_format=response_format,
    )
    return await _run(state, body, files, request)


@router.get("/models")
async def models(state: State) -> dict[str, Any]:
    """Every catalog model (and alias), as OpenAI lists models."""
    data = []
    for entry in state.catalog.models():
        for name in (entry.id, *entry.aliases):
            data.append({"id": name, "object": "model", "created": 0, "owned_by": entry.provider})
    return {"object": "list", "data": data}
