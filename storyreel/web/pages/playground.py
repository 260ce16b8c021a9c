"""``/ui/playground``: one prompt to an image model, a video model, or both side by side,
with the live cost estimate, reference images by drag and drop, the recent prompts, and
result cards that update until their job is done.

Estimates are ``services.generation.estimate`` (what ``/api/v1/estimate`` answers) and a
submission is ``api.generation.create_generation`` (what ``POST /api/v1/jobs`` does), so the
playground prices, checks and buys exactly as the API does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from storyreel.api.generation import create_generation
from storyreel.api.state import ApiState, api_state
from storyreel.catalog.pricing import format_usd
from storyreel.errors import BudgetExceeded, InputError, StoryreelError
from storyreel.providers.types import JobState
from storyreel.services import jobs as job_service
from storyreel.services.generation import estimate, read_image_upload
from storyreel.services.prompts import recent_prompts
from storyreel.store.models import Job

from ..nav import NavEntry
from ..playground_form import (
    COMMON_SIZES,
    MAX_REFERENCES,
    MODES,
    Kind,
    PlaygroundForm,
    kinds_of,
    model_groups,
)
from ..templating import render

router = APIRouter()
PAGE = NavEntry("Playground", "/ui/playground")
State = Annotated[ApiState, Depends(api_state)]
POLL_SECONDS = 1  # a result card asks again this often until its job is final


@dataclass(frozen=True)
class EstimateLine:
    """One job of a submission: its model and price, or why it cannot run."""

    kind: Kind
    model: str
    provider: str
    usd: Decimal | None
    error: str | None = None


@dataclass(frozen=True)
class Estimate:
    lines: list[EstimateLine]
    error: str | None = None

    @property
    def total(self) -> Decimal | None:
        if self.error or any(line.error or line.usd is None for line in self.lines):
            return None
        return sum((line.usd for line in self.lines if line.usd is not None), Decimal(0))

    @property
    def ok(self) -> bool:
        return self.error is None and not any(line.error for line in self.lines)

    @property
    def problems(self) -> list[str]:
        return [p for p in [self.error, *(line.error for line in self.lines)] if p]


def estimate_form(state: ApiState, form: PlaygroundForm) -> Estimate:
    """Each job's estimate, checked as the API checks it; with a budget in "both" mode the
    pair together must fit it too (each job alone is checked by the API's own rule)."""
    lines = []
    for kind in kinds_of(form.mode):
        try:
            body = form.body(state.catalog, kind, prompt="(estimate)")
            prepared = estimate(
                state.catalog,
                kind=body.kind,
                model=body.model,
                prompt=body.prompt,
                references=form.reference_count,
                budget=body.budget_usd,
                **body.fields(),
            )
        except StoryreelError as exc:
            lines.append(EstimateLine(kind, form.model(kind), "", None, str(exc)))
            continue
        entry = prepared.entry
        lines.append(EstimateLine(kind, entry.id, entry.provider, prepared.estimate_usd))
    result = Estimate(lines)
    total = result.total
    budget = form.budget_usd()
    if len(lines) > 1 and budget is not None and total is not None and total > budget:
        return replace(
            result,
            error=f"together these jobs are estimated at {format_usd(total)}, over the "
            f"budget of {format_usd(budget)}; nothing was submitted",
        )
    return result


def _context(state: ApiState, form: PlaygroundForm, **more: Any) -> dict[str, Any]:
    catalog = state.catalog
    return {
        "form": form,
        "modes": MODES,
        "kinds": kinds_of(form.mode),
        "groups": {kind: model_groups(catalog, kind) for kind in ("image", "video")},
        "entries": {kind: form.entry(catalog, kind) for kind in ("image", "video")},
        "common_sizes": COMMON_SIZES,
        "max_references": MAX_REFERENCES,
        "estimate": estimate_form(state, form),
    } | more


@router.get("/playground", response_class=HTMLResponse)
async def playground(request: Request, state: State) -> HTMLResponse:
    """The page; ``?model=&prompt=&seed=&kind=`` fill the form (the library's "reuse
    settings")."""
    query = request.query_params
    kind = query.get("kind", "")
    model = query.get("model", "")
    notice = None
    if model and kind not in ("image", "video"):
        try:
            entry = state.catalog.resolve(model)
            kind = "video" if any(t.output_kind == "video" for t in entry.tasks) else "image"
        except InputError as exc:
            notice = str(exc)
    form = PlaygroundForm.parse(
        {
            "mode": kind or "image",
            f"{kind or 'image'}_model": model,
            "prompt": query.get("prompt", ""),
            "seed": query.get("seed", ""),
        }
    ).with_defaults(state.catalog)
    form = replace(form, reference_assets=tuple(query.getlist("reference"))[:MAX_REFERENCES])
    form = form.with_model_defaults(state.catalog)
    context = _context(
        state,
        form,
        prompts=await recent_prompts(state.rt),
        notice=notice,
    )
    return render(request, "playground/page.html", context)


async def _posted(request: Request, state: State) -> PlaygroundForm:
    return PlaygroundForm.parse(await request.form()).with_defaults(state.catalog)


@router.post("/playground/options", response_class=HTMLResponse)
async def options(request: Request, state: State) -> HTMLResponse:
    """The model pickers and the options of the picked models (after a mode or model
    change), with the estimate swapped in out of band."""
    form = (await _posted(request, state)).with_model_defaults(state.catalog)
    return render(request, "playground/options.html", _context(state, form, oob=True))


@router.post("/playground/estimate", response_class=HTMLResponse)
async def estimate_fragment(request: Request, state: State) -> HTMLResponse:
    """The live estimate for the form as it is now: the API's estimate of each job."""
    form = await _posted(request, state)
    context = {"estimate": estimate_form(state, form), "oob": False}
    return render(request, "playground/estimate.html", context)


def _errors(request: Request, problems: list[str], status: int = 422) -> HTMLResponse:
    """The reasons a submission was refused, in words, shown next to the form."""
    headers = {"HX-Retarget": "#pg-errors", "HX-Reswap": "innerHTML"}
    context = {"problems": problems}
    return render(request, "playground/errors.html", context, status_code=status, headers=headers)


async def _uploads(
    state: ApiState, files: list[Any], assets: tuple[str, ...]
) -> list[tuple[bytes, str]]:
    chosen = [f for f in files if isinstance(f, UploadFile) and f.filename]
    if len(chosen) + len(assets) > MAX_REFERENCES:
        raise InputError(f"at most {MAX_REFERENCES} reference images")
    settings = state.settings
    return [
        await read_image_upload(
            f, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels
        )
        for f in chosen
    ]


@router.post("/playground/generate", response_class=HTMLResponse)
async def generate(request: Request, state: State) -> HTMLResponse:
    """Submit the form's jobs through the API's own path; their result cards come back
    "queued" and update themselves. Refused: the reasons, next to the form."""
    posted = await request.form()
    form = PlaygroundForm.parse(posted).with_defaults(state.catalog)
    if not form.prompt:
        return _errors(request, ["Write a prompt first."])
    try:
        uploads = await _uploads(state, posted.getlist("reference"), form.reference_assets)
    except StoryreelError as exc:
        return _errors(request, [str(exc)])
    form = replace(form, references=len(uploads))
    checked = estimate_form(state, form)
    if not checked.ok:
        over = any("budget" in p for p in checked.problems)
        return _errors(request, checked.problems, 402 if over else 422)
    jobs: list[Job] = []
    try:
        for kind in kinds_of(form.mode):
            body = form.body(state.catalog, kind)
            jobs.append(await create_generation(state, body, uploads))
    except BudgetExceeded as exc:
        return _errors(request, [str(exc)], 402)
    except StoryreelError as exc:
        return _errors(request, [str(exc)])
    cards = [await _card(state, job.id) for job in jobs]
    headers = {"HX-Trigger": "pg-submitted"}
    return render(
        request,
        "playground/cards.html",
        {"cards": cards, "prompt": form.prompt},
        headers=headers,
    )


@dataclass(frozen=True)
class Card:
    """A result card: the job as submitted, and the job that ran it (after failover)."""

    job: Job
    final: Job
    phase: str
    poll_seconds: int

    @property
    def done(self) -> bool:
        return JobState(self.final.status).terminal


async def _card(state: ApiState, job_id: str) -> Card:
    job = await job_service.get_job(state.rt, job_id)
    final = await job_service.final_job(state.rt, job_id)
    phase = await job_service.phase(final, state.client)
    return Card(job, final, phase, POLL_SECONDS)


@router.get("/playground/jobs/{job_id}", response_class=HTMLResponse)
async def card(request: Request, job_id: str, state: State) -> HTMLResponse:
    """One result card; it keeps polling itself until its job is final."""
    return render(request, "playground/card.html", {"card": await _card(state, job_id)})


@router.get("/playground/prompts", response_class=HTMLResponse)
async def prompts(request: Request, state: State) -> HTMLResponse:
    """The recent prompts panel (refreshed after each submission)."""
    context = {"prompts": await recent_prompts(state.rt)}
    return render(request, "playground/prompts.html", context)
