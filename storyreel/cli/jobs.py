"""``storyreel jobs list|show|cancel|retry``: read, stop and requeue jobs without running any."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from storyreel.catalog.pricing import format_usd
from storyreel.providers.types import JobState
from storyreel.services.job_words import failure_words

from .common import JsonOption, console, emit_json, hint, run, settings
from .schemas import JobDetail, JobList, JobOutputFile, JobSummary

if TYPE_CHECKING:
    from storyreel.store.assets import AssetStore
    from storyreel.store.models import Job

app = typer.Typer(help="Inspect, cancel and retry generation jobs.", no_args_is_help=True)


def _money(job: Job) -> str:
    value = job.cost_usd if job.cost_usd is not None else job.estimate_usd
    return "" if value is None else format_usd(value)


def summary(job: Job) -> JobSummary:
    return JobSummary(
        id=job.id,
        status=job.status,
        task=job.task,
        provider=job.provider,
        model=job.model,
        project_id=job.project_id,
        estimate_usd=job.estimate_usd,
        cost_usd=job.cost_usd,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def detail(job: Job, assets: AssetStore) -> JobDetail:
    outputs = [
        JobOutputFile(
            position=o.position,
            mime=o.mime,
            sha256=o.asset_sha256,
            path=assets.path(o.asset_sha256, o.mime),
        )
        for o in job.outputs
    ]
    return JobDetail(
        **summary(job).model_dump(),
        error=job.error,
        error_reason=job.error_reason,
        note=job.note,
        submit_attempts=job.submit_attempts,
        polls=job.polls,
        possibly_billed_twice=job.possibly_billed_twice,
        failover_from=job.failover_from,
        failover_to=job.failover_to,
        request=job.request,
        outputs=outputs,
    )


@app.command("list")
def list_command(
    status: Annotated[JobState | None, typer.Option(help="Only jobs in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 30,
    before: Annotated[str | None, typer.Option(help="Page: jobs older than this id.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Newest jobs first."""
    # imported on use (here and below): keeps `storyreel --help` fast
    from storyreel.engine.service import open_client
    from storyreel.services import jobs as job_service

    async def go() -> None:
        async with open_client(settings()) as (rt, _client):
            rows, more = await job_service.list_jobs(rt, status=status, before=before, limit=limit)
        if as_json:
            emit_json(JobList(jobs=[summary(job) for job in rows], next_before=more))
        else:
            _print_jobs(rows)
        if more is not None:
            hint(f"more: storyreel jobs list --before {more}")

    run(go())


def _print_jobs(rows: Sequence[Job]) -> None:
    table = Table()
    for column in ("id", "status", "task", "model", "cost", "created"):
        # Ids and model ids are what a user copies into the next command: fold them
        # onto more lines rather than cut them with an ellipsis.
        table.add_column(column, overflow="fold")
    for job in rows:
        table.add_row(
            job.id,
            job.status,
            job.task,
            job.model,
            _money(job),
            job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    console.print(table)


@app.command("show")
def show_command(job_id: str, as_json: JsonOption = False) -> None:
    """One job: request, status, outputs, cost."""
    from storyreel.engine.service import open_client
    from storyreel.services import jobs as job_service

    async def go() -> None:
        async with open_client(settings()) as (rt, _client):
            job = await job_service.get_job(rt, job_id)
            if as_json:
                emit_json(detail(job, rt.assets))
                return
            console.print(f"[bold]{job.id}[/]  {job.status}  {job.task}  {job.model}")
            if job.error:
                words = failure_words(job.error_reason, job.error)
                console.print(f"error: {words}", highlight=False)
            estimate = "unpriced" if job.estimate_usd is None else format_usd(job.estimate_usd)
            final = "not final" if job.cost_usd is None else format_usd(job.cost_usd)
            console.print(
                f"submits: {job.submit_attempts}  polls: {job.polls}  "
                f"estimate: {estimate}  final cost: {final}",
                highlight=False,
            )
            if job.note and not JobState(job.status).terminal:
                console.print(f"now: {job.note}", highlight=False)
            if job.possibly_billed_twice:
                console.print(
                    "[yellow]possibly billed twice[/]: its submit was repeated after the "
                    "answer was lost, and the provider offers no way to look it up",
                    highlight=False,
                )
            if job.failover_from or job.failover_to:
                links = [f"from {job.failover_from}"] * bool(job.failover_from) + [
                    f"to {job.failover_to}"
                ] * bool(job.failover_to)
                console.print(f"failover: {', '.join(links)}", highlight=False)
            console.print_json(data=job.request)
            for output in job.outputs:
                console.print(
                    f"output {output.position}: {rt.assets.path(output.asset_sha256, output.mime)}"
                )

    run(go())


@app.command("cancel")
def cancel_command(job_id: str) -> None:
    """Stop a queued or running job (and tell its provider)."""
    from storyreel.engine.service import open_client
    from storyreel.services import jobs as job_service

    async def go() -> None:
        async with open_client(settings()) as (rt, client):
            job = await job_service.cancel(rt, job_id, client=client)
        console.print(f"{job.id} {job.status}")

    run(go())


@app.command("retry")
def retry_command(job_id: str) -> None:
    """Run a failed or canceled job again, as a new job (queued for the next engine
    process or worker)."""
    from storyreel.engine.service import open_client
    from storyreel.services import jobs as job_service

    async def go() -> None:
        async with open_client(settings()) as (rt, client):
            job = await job_service.retry(rt, job_id, client=client)
        console.print(f"{job.id} {job.status} (retry of {job_id})")

    run(go())
