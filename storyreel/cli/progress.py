"""Live progress of a story run, read from the job table (so it also shows work done by
other worker processes)."""

from __future__ import annotations

import asyncio

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from storyreel.engine.runtime import Runtime
from storyreel.store.models import Job, Shot

from .common import console


async def _counts(rt: Runtime, project_id: str) -> tuple[int, dict[tuple[str, str], int]]:
    async with rt.db.session() as session:
        shots = await session.scalar(
            select(func.count()).select_from(Shot).where(Shot.project_id == project_id)
        )
        rows = await session.execute(
            select(Job.task, Job.status, func.count())
            .where(Job.project_id == project_id)
            .group_by(Job.task, Job.status)
        )
        return int(shots or 0), {(task, status): n for task, status, n in rows.all()}


def _done(counts: dict[tuple[str, str], int], video: bool) -> int:
    return sum(
        n
        for (task, status), n in counts.items()
        if status == "succeeded" and (task.endswith("video") == video)
    )


def make_progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


async def watch_story(rt: Runtime, project_id: str, *, progress: Progress) -> None:
    panels = progress.add_task("Panels", total=None)
    clips = progress.add_task("Clips", total=None)
    while True:
        shots, counts = await _counts(rt, project_id)
        progress.update(panels, total=shots, completed=min(shots, _done(counts, video=False)))
        progress.update(clips, total=shots, completed=min(shots, _done(counts, video=True)))
        await asyncio.sleep(0.25)
