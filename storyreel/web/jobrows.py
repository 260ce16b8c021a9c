"""A job as the Jobs page shows it: the model badge (resolution, duration), the state and
its phase, estimate and final cost, age, the prompt, the failure in words, the failover
links and which actions apply. Built from the job row and the catalog; rendered by the
page, its detail view and the live stream alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from dbos import DBOSClient

from storyreel.catalog import Catalog, price_inputs
from storyreel.engine.runtime import Runtime
from storyreel.errors import StoryreelError
from storyreel.providers.types import JobState
from storyreel.services import jobs as job_service
from storyreel.services.job_words import failure_words
from storyreel.store.models import Job
from storyreel.vocabulary import GenerationRequest, Task

PROMPT_CHARS = 140
TIMES = "\u00d7"  # the multiplication sign of a size, "1024 by 1024" written short
CANCELABLE = {JobState.QUEUED.value, JobState.RUNNING.value}
STATE_TONE = {"succeeded": "ok", "failed": "bad", "canceled": "warn"}


@dataclass(frozen=True)
class JobRow:
    id: str
    model: str
    task: str
    kind: str
    status: str
    phase: str
    queue_position: int | None
    note: str | None
    size: str | None
    duration: str | None
    estimate_usd: Decimal | None
    cost_usd: Decimal | None
    created_at: datetime
    age: str
    prompt: str
    prompt_short: str
    error: str | None
    failover_from: str | None
    failover_to: str | None

    @property
    def terminal(self) -> bool:
        return self.status not in CANCELABLE

    @property
    def can_cancel(self) -> bool:
        return self.status in CANCELABLE

    @property
    def can_retry(self) -> bool:
        return self.status in job_service.RETRYABLE

    @property
    def tone(self) -> str:
        return STATE_TONE.get(self.status, "")


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC; the page's ``<time datetime>`` must say it is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def age(then: datetime, now: datetime | None = None) -> str:
    """``"12 s ago"``, ``"4 min ago"``, ``"3 h ago"``, ``"2 d ago"`` (static/jobs.js words
    them the same way as time passes)."""
    now = now or datetime.now(UTC)
    then = aware(then)
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def shorten(text: str, limit: int = PROMPT_CHARS) -> str:
    """One line of at most ``limit`` characters, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0] or flat[: limit - 1]
    return cut + "…"


def _seconds(value: float | Decimal) -> str:
    number = float(value)
    return f"{number:g} s"


def size_and_duration(catalog: Catalog, request: dict[str, Any]) -> tuple[str | None, str | None]:
    """What the badge shows besides the model: the size (or named resolution) the model
    renders and, for a clip, its length, with the catalog's defaults for what the request
    left unset (the same facts the estimate priced)."""
    try:
        req = GenerationRequest.model_validate(request)
        entry = catalog.resolve(req.model, req.task)
        facts = price_inputs(entry, req)
    except (StoryreelError, ValueError):
        return None, None
    video = req.task.output_kind == "video"
    if req.task.output_kind not in ("image", "video"):
        return None, None
    size = facts.resolution if video and facts.resolution else f"{facts.width}{TIMES}{facts.height}"
    duration = _seconds(facts.seconds) if video and facts.seconds is not None else None
    return size, duration


def _phase(status: str, raw: str) -> str:
    """The service's phase in the page's words: a running job is generating."""
    if raw.startswith("running"):
        return "generating" + raw.removeprefix("running")
    return raw if raw != status else status


def _kind(task: str) -> str:
    try:
        return Task(task).output_kind
    except ValueError:
        return "image"


async def job_row(
    rt: Runtime,
    job: Job,
    *,
    catalog: Catalog,
    client: DBOSClient | None = None,
    positions: Mapping[str, int] | None = None,
) -> JobRow:
    """``positions``: queue places already known (the live feed's), saving a count query
    per queued job."""
    if positions is not None and job.id in positions:
        place: int | None = positions[job.id]
    else:
        place = await job_service.queue_position(rt, job)
    prompt = str((job.request or {}).get("prompt") or "")
    size, duration = size_and_duration(catalog, job.request or {})
    return JobRow(
        id=job.id,
        model=job.model,
        task=job.task,
        kind=_kind(job.task),
        status=job.status,
        phase=_phase(job.status, await job_service.phase(job, client)),
        queue_position=place,
        note=job.note,
        size=size,
        duration=duration,
        estimate_usd=job.estimate_usd,
        cost_usd=job.cost_usd,
        created_at=aware(job.created_at),
        age=age(job.created_at),
        prompt=prompt,
        prompt_short=shorten(prompt),
        error=failure_words(job.error_reason, job.error)
        if job.status in (JobState.FAILED.value, JobState.CANCELED.value)
        else None,
        failover_from=job.failover_from,
        failover_to=job.failover_to,
    )


async def job_rows(
    rt: Runtime, jobs: Sequence[Job], *, client: DBOSClient | None = None
) -> list[JobRow]:
    catalog = Catalog.load(rt.settings)
    return [await job_row(rt, job, catalog=catalog, client=client) for job in jobs]
