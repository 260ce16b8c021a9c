"""One job's progress (``generate``) and a worker's job log (``worker``), on stderr.

Both read the job table and DBOS's own workflow records, so they show work wherever it
runs, and both are bystanders like the story progress display: an error stops the display
(logged to the log file), never the job.
"""

from __future__ import annotations

import asyncio
import logging

from dbos import DBOS
from rich.console import Console

from storyreel.catalog.pricing import format_usd
from storyreel.engine import jobs as job_rows
from storyreel.engine.runtime import Runtime
from storyreel.engine.workflows import WORKFLOW_NAME
from storyreel.providers.types import JobState
from storyreel.services.job_words import failure_words, reason_words
from storyreel.services.jobs import phase
from storyreel.store.models import Job

log = logging.getLogger(__name__)
REFRESH_SECONDS = 0.25
WORKER_REFRESH_SECONDS = 0.5


def job_line(job: Job, what: str) -> str:
    return f"job {job.id} on {job.model}: {what}"


async def watch_job(rt: Runtime, job_id: str, *, console: Console) -> None:
    """Print a line each time the job (or the job it failed over to) changes phase, until
    cancelled; never raises."""
    try:
        await _watch_job(rt, job_id, console)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("job progress display stopped; the job goes on")


async def _watch_job(rt: Runtime, job_id: str, console: Console) -> None:
    shown: tuple[str, str] | None = None
    note_shown: str | None = None
    while True:
        job = await job_rows.get_job(rt.db, job_id)
        if job.failover_to:
            console.print(
                f"job {job.id} failed ({reason_words(job.error_reason)}): failing over to job "
                f"{job.failover_to}",
                highlight=False,
                soft_wrap=True,
            )
            job_id = job.failover_to
            continue
        now = (job.id, await phase(job))
        if JobState(job.status).terminal:
            return  # the caller prints the outcome, with the final job
        if now != shown:
            console.print(job_line(job, now[1]), highlight=False, soft_wrap=True)
            shown = now
        if job.note and job.note != note_shown:
            console.print(f"[yellow]{job.note}[/]", highlight=False, soft_wrap=True)
        note_shown = job.note
        await asyncio.sleep(REFRESH_SECONDS)


def finished_line(job: Job) -> str:
    cost = "" if job.cost_usd is None else f", cost {format_usd(job.cost_usd)}"
    words = failure_words(job.error_reason, job.error)
    why = f" ({words})" if words and job.status != JobState.SUCCEEDED.value else ""
    return f"finished {job.id} {job.status}{why}{cost}"


async def log_worker_jobs(rt: Runtime, executor_id: str, *, console: Console) -> None:
    """One line per job this worker starts and finishes, until cancelled; never raises."""
    try:
        await _log_worker_jobs(rt, executor_id, console)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("worker job log stopped; the worker goes on")


async def _log_worker_jobs(rt: Runtime, executor_id: str, console: Console) -> None:
    running: set[str] = set()
    while True:
        pending = await DBOS.list_workflows_async(
            status="PENDING",
            name=WORKFLOW_NAME,
            executor_id=executor_id,
            load_input=False,
            load_output=False,
        )
        now = {w.workflow_id for w in pending}
        for job_id in sorted(now - running):
            job = await job_rows.get_job(rt.db, job_id)
            console.print(
                f"started  {job.id} {job.task} on {job.model}", highlight=False, soft_wrap=True
            )
        for job_id in sorted(running - now):
            done = await job_rows.get_job(rt.db, job_id)
            console.print(finished_line(done), highlight=False, soft_wrap=True)
        running = now
        await asyncio.sleep(WORKER_REFRESH_SECONDS)
