"""``/ui/bulk``: seed 004's bulk generation from the browser: prompts and a folder of
images, the matrix with its estimate (the dry run: nothing created), the run, and its
progress cell by cell with the ``index.csv`` and the export.

The dry run stores the uploaded images (content-addressed, as ``/api/v1/uploads`` does)
and plans with ``services.bulk``, the code behind ``POST /api/v1/bulk/estimate``; the plan
it shows carries the images' hashes and the prompts into the run form, so a run makes
exactly the matrix that was priced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Protocol
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from storyreel.api.state import ApiState, api_state
from storyreel.bulk.inputs import MAX_IMAGES, MAX_PROMPTS_BYTES
from storyreel.bulk.plan import DEFAULT_MODEL, BulkOptions, BulkPlan
from storyreel.bulk.run import bulk_status
from storyreel.errors import BudgetExceeded, ConfigError, InputError, NotFound
from storyreel.services import bulk as bulk_service
from storyreel.services.bulk import UploadLimits
from storyreel.vocabulary import Task

from ..nav import NavEntry
from ..templating import render

router = APIRouter()
PAGE = NavEntry("Bulk", "/ui/bulk")
State = Annotated[ApiState, Depends(api_state)]
BulkId = Annotated[str, Path(min_length=1, max_length=26, pattern=r"^[0-9A-Za-z]+$")]
SHOWN_IMAGES = 100
"""Rows of the matrix drawn on the page; the rest are counted (index.csv lists them all)."""
FINISHED = ("succeeded", "failed", "canceled")
MAX_MODELS = 4
"""Models one dry run may compare (each is its own bulk)."""


def _text(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > limit:
        raise InputError(f"{name} is longer than {limit} characters")
    return text


def _options(form: FormData) -> BulkOptions:
    duration_text = _text(form, "duration", 10)
    try:
        duration = float(duration_text) if duration_text else None
    except ValueError:
        raise InputError(f"duration {duration_text!r} is not a number of seconds") from None
    if duration is not None and not 0 < duration <= 120:
        raise InputError("duration must be more than 0 and at most 120 seconds")
    return BulkOptions(
        model=DEFAULT_MODEL,
        resolution=_text(form, "resolution", 16) or None,
        duration=duration,
        one_to_one=form.get("one_to_one") in ("1", "on", "true"),
    )


def _models(form: FormData) -> list[str]:
    """The models chosen (several make one bulk each, priced side by side)."""
    names: list[str] = []
    for value in form.getlist("model"):
        name = str(value).strip()[:200]
        if name and name not in names:
            names.append(name)
    if len(names) > MAX_MODELS:
        raise InputError(f"choose at most {MAX_MODELS} models for one bulk")
    return names or [DEFAULT_MODEL]


async def _plans(
    state: ApiState,
    form: FormData,
    images: Sequence[tuple[str, str | None]],
    prompts: str | Sequence[str],
) -> list[BulkPlan]:
    """One plan per model chosen, all checked and priced before anything is created."""
    options = _options(form)
    return [
        await bulk_service.plan_stored(
            state.rt, state.catalog, images, prompts, replace(options, model=model), face="web"
        )
        for model in _models(form)
    ]


async def _prompts(form: FormData) -> str | list[str]:
    """A prompts file (seed 004's format) when one is given, else the text box: one
    prompt per line."""
    upload = form.get("prompts_file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_PROMPTS_BYTES + 1)
        if len(data) > MAX_PROMPTS_BYTES:
            raise InputError(f"prompts file {upload.filename} is larger than 1 MB")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"prompts file {upload.filename} is not UTF-8 text") from None
    box = form.get("prompts")
    lines = [line.strip() for line in (box if isinstance(box, str) else "").splitlines()]
    prompts = [line for line in lines if line]
    if not prompts:
        raise InputError("write at least one prompt (one per line) or choose a prompts file")
    return prompts


async def _uploads(state: ApiState, form: FormData) -> list[tuple[str, str]]:
    limit = state.settings.max_upload_bytes
    files: list[tuple[str, bytes]] = []
    for value in form.getlist("images"):
        if not isinstance(value, UploadFile) or not value.filename:
            continue  # an input left empty sends an empty part
        data = await value.read(limit + 1)
        if len(data) > limit:
            raise InputError(f"{value.filename} is larger than {limit:,} bytes")
        files.append((value.filename, data))
    if len(files) > MAX_IMAGES:
        raise InputError(f"{len(files):,} images, the limit for one bulk is {MAX_IMAGES:,}")
    limits = UploadLimits(max_bytes=limit, max_pixels=state.settings.max_image_pixels)
    return await bulk_service.add_uploads(state.rt, files, limits)


class _Cell(Protocol):
    @property
    def image(self) -> str: ...
    @property
    def prompt_number(self) -> int: ...
    @property
    def prompt(self) -> str: ...


def grid(items: Sequence[_Cell]) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Matrix items (planned or running) as rows, one per image in order, of cells by
    prompt number; and the prompts by number."""
    rows: dict[str, dict[int, Any]] = {}
    prompts: dict[int, str] = {}
    for item in items:
        rows.setdefault(item.image, {})[item.prompt_number] = item
        prompts.setdefault(item.prompt_number, item.prompt)
    return [{"image": image, "cells": cells} for image, cells in rows.items()], prompts


def _page_context(state: ApiState) -> dict[str, Any]:
    models = state.catalog.models(Task.IMAGE_TO_VIDEO)
    default = state.catalog.for_task(DEFAULT_MODEL, Task.IMAGE_TO_VIDEO).id
    return {
        "models": models,
        "default_model": default,
        "max_upload_mb": state.settings.max_upload_bytes / 1024 / 1024,
        "max_pixels": state.settings.max_image_pixels,
        "max_images": MAX_IMAGES,
    }


def _is_htmx(request: Request) -> bool:
    return "hx-request" in request.headers


@router.get("/bulk")
async def bulk_page(request: Request, state: State) -> HTMLResponse:
    return render(request, "bulk/page.html", _page_context(state) | {"plan": None, "error": None})


@router.post("/bulk/estimate")
async def estimate(request: Request, state: State) -> HTMLResponse:
    """The dry run: store the images, plan and price the matrix; create no job."""
    form = await request.form(max_files=MAX_IMAGES + 2, max_fields=MAX_IMAGES + 50)
    try:
        asked = _options(form)  # a bad option is refused before the images are stored
        prompts = await _prompts(form)
        images = await _uploads(state, form)
        shown = [
            await bulk_service.estimate(state.rt, plan)
            for plan in await _plans(state, form, images, prompts)
        ]
    except InputError as exc:
        refused: dict[str, Any] = {"error": exc.message, "plan": None}
        if _is_htmx(request):
            return render(request, "bulk/plan.html", refused, status_code=422)
        return render(request, "bulk/page.html", _page_context(state) | refused, status_code=422)
    plans = []
    for one in shown:
        rows, texts = grid(one.items)
        more = max(0, len(rows) - SHOWN_IMAGES)
        plans.append({"plan": one, "rows": rows[:SHOWN_IMAGES], "more_images": more})
    totals = [one.total_usd for one in shown]
    context = {
        "plan": shown[0],
        "plans": plans,
        "error": None,
        "prompt_texts": texts,
        "image_fields": [f"{sha}:{name}" for sha, name in images],
        "jobs_total": sum(one.jobs for one in shown),
        "asked": asked,
        "grand_total": None if None in totals else sum(t for t in totals if t is not None),
    }
    if _is_htmx(request):
        return render(request, "bulk/plan.html", context)
    return render(request, "bulk/page.html", _page_context(state) | context)


def _budget(form: FormData) -> Decimal | None:
    text = _text(form, "budget", 20).lstrip("$")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(f"budget {text!r} is not an amount in dollars") from None
    if not value.is_finite() or value < 0:
        raise InputError("the budget must be zero or more dollars")
    return value


def _stored_images(form: FormData) -> list[tuple[str, str | None]]:
    images = []
    for value in form.getlist("image"):
        sha, _, name = str(value).partition(":")
        images.append((sha, name or None))
    if not images:
        raise InputError("no images: run the dry run first")
    return images


@router.post("/bulk/run")
async def run(request: Request, state: State) -> Response:
    """Create the priced matrix's jobs and queue them, then follow the bulk's page."""
    form = await request.form(max_fields=MAX_IMAGES * 2 + 50)
    try:
        prompts = [str(p) for p in form.getlist("prompt")]
        budget = _budget(form)
        plans = await _plans(state, form, _stored_images(form), prompts)
        for plan in plans:
            bulk_service.check(state.rt, plan, client=state.client)
        ids = []
        for plan in plans:
            created = await bulk_service.launch(
                state.rt, plan, budget_usd=budget, client=state.client
            )
            ids.append(created.bulk_id)
    except (InputError, BudgetExceeded, ConfigError) as exc:
        return render(request, "bulk/run_error.html", {"error": exc.message}, status_code=422)
    target = (
        f"/ui/bulk/{ids[0]}"
        if len(ids) == 1
        else "/ui/bulk/runs?" + urlencode([("id", bulk_id) for bulk_id in ids])
    )
    if _is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _progress_context(state: ApiState, bulk_id: str) -> dict[str, Any]:
    status = await bulk_status(state.rt, bulk_id)
    rows, prompts = grid(await bulk_service.cells(state.rt, bulk_id))
    counts = {
        "done": status.states.get("succeeded", 0),
        "failed": status.states.get("failed", 0) + status.states.get("canceled", 0),
        "running": status.states.get("running", 0),
        "queued": sum(n for s, n in status.states.items() if s not in (*FINISHED, "running")),
    }
    return {
        "status": status,
        "counts": counts,
        "finished": status.finished == status.jobs,
        "rows": rows[:SHOWN_IMAGES],
        "more_images": max(0, len(rows) - SHOWN_IMAGES),
        "prompt_texts": prompts,
    }


@router.get("/bulk/runs")
async def runs_page(
    request: Request,
    state: State,
    id: Annotated[list[str], Query(max_length=MAX_MODELS)],
) -> HTMLResponse:
    """Several bulks started together (one per model), each with its progress."""
    runs = []
    for bulk_id in id:
        if not bulk_id.isalnum() or len(bulk_id) > 26:
            raise NotFound(f"no bulk {bulk_id[:32]!r}")
        runs.append(await _progress_context(state, bulk_id))
    return render(request, "bulk/runs.html", {"runs": runs})


@router.get("/bulk/{bulk_id}")
async def bulk_run_page(request: Request, state: State, bulk_id: BulkId) -> HTMLResponse:
    context = await _progress_context(state, bulk_id)
    return render(request, "bulk/run.html", context)


@router.get("/bulk/{bulk_id}/progress")
async def progress(request: Request, state: State, bulk_id: BulkId) -> HTMLResponse:
    """The progress fragment htmx polls every second until every job is finished."""
    return render(request, "bulk/progress.html", await _progress_context(state, bulk_id))


@router.post("/bulk/{bulk_id}/export")
async def export(request: Request, state: State, bulk_id: BulkId) -> HTMLResponse:
    """Copy the finished videos to the data dir's downloads folder (seed 004's names)."""
    done = await bulk_service.export_downloads(state.rt, state.settings.data_path, bulk_id)
    context = {"folder": bulk_service.DOWNLOADS, "files": [p.name for p in done.files]}
    return render(request, "bulk/exported.html", context | {"rows": done.rows})
