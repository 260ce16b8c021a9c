"""How far a story run is, read from the job and shot tables (so it also shows work done
by other worker processes): the counts the CLI's bars show, and the per-shot picture the
API's event stream sends."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from storyreel.engine.budget import project_spend
from storyreel.engine.runtime import Runtime
from storyreel.errors import NotFound
from storyreel.store.models import Job, Project, Shot


async def waiting_notes(rt: Runtime, project_id: str) -> dict[str, str]:
    """What waiting jobs say they wait for (a rate limit), by job id."""
    async with rt.db.sessions() as session, session.begin():
        rows = await session.execute(
            select(Job.id, Job.note).where(
                Job.project_id == project_id,
                Job.note.is_not(None),
                Job.status.in_(["queued", "running"]),
            )
        )
        return {job_id: note for job_id, note in rows.all() if note}


async def story_counts(rt: Runtime, project_id: str) -> tuple[int, dict[tuple[str, str], int]]:
    """The number of shots, and job counts by (task, status).

    Straight from the session factory, without ``Database.session``'s wait for the
    database: a live display does its own waiting, and tells the user it is waiting."""
    async with rt.db.sessions() as session, session.begin():
        shots = await session.scalar(
            select(func.count()).select_from(Shot).where(Shot.project_id == project_id)
        )
        rows = await session.execute(
            select(Job.task, Job.status, func.count())
            .where(Job.project_id == project_id)
            .group_by(Job.task, Job.status)
        )
        return int(shots or 0), {(task, status): n for task, status, n in rows.all()}


def finished(counts: dict[tuple[str, str], int], *, video: bool) -> int:
    """Succeeded panels (``video=False``) or clips (``video=True``)."""
    return sum(
        n
        for (task, status), n in counts.items()
        if status == "succeeded" and (task.endswith("video") == video)
    )


def _stage(shots: list[dict[str, Any]]) -> str:
    if not shots:
        return "planned"
    panels = [s["panel"] for s in shots]
    clips = [s["clip"] for s in shots]
    if any(state in ("failed", "canceled") for state in panels + clips):
        return "failed"
    if all(state == "succeeded" for state in clips):
        return "assembling"
    if all(state == "succeeded" for state in panels):
        return "clips"
    if all(state is None for state in panels):
        return "planned"
    return "panels"


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored one is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def story_progress(
    rt: Runtime, project_id: str, *, since: datetime | None = None
) -> dict[str, Any]:
    """Stage, per-shot state (panel and clip job status), errors, and spent vs budget.
    With ``since`` (when a run started), also ``made``: the panels and clips whose job
    that run created, as opposed to the ones it reused from earlier runs."""
    async with rt.db.session() as session:
        project = await session.get(Project, project_id)
        if project is None:
            raise NotFound(f"no story {project_id!r}")
        rows = (
            (await session.execute(select(Shot).where(Shot.project_id == project_id)))
            .scalars()
            .all()
        )
        ids = {j for s in rows for j in (s.panel_job_id, s.clip_job_id) if j}
        jobs = {
            j.id: j
            for j in (await session.execute(select(Job).where(Job.id.in_(ids)))).scalars().all()
        }
        spent = await project_spend(session, project_id)
        budget: Decimal | None = project.budget_usd
    shots: list[dict[str, Any]] = []
    errors: list[str] = []
    made = {"panels": 0, "clips": 0}
    for shot in sorted(rows, key=lambda s: s.number):
        entry: dict[str, Any] = {"number": shot.number}
        for what, job_id in (("panel", shot.panel_job_id), ("clip", shot.clip_job_id)):
            job = jobs.get(job_id) if job_id else None
            entry[what] = job.status if job else None
            entry[f"{what}_job_id"] = job_id
            if job is not None and job.error:
                errors.append(f"shot {shot.number} {what}: {job.error}")
            if job is not None and since is not None and _aware(job.created_at) >= since:
                made[f"{what}s"] += 1
        shots.append(entry)
    extra = {} if since is None else {"made": made}
    return extra | {
        "project_id": project_id,
        "stage": _stage(shots),
        "shots": shots,
        "errors": errors,
        "spent_usd": str(spent),
        "budget_usd": None if budget is None else str(budget),
    }
