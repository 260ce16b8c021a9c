"""The story's voice and music jobs, and how long each narrated shot must last.

Narration lines are generation jobs like panels and clips (``Task.SPEECH`` on the story's
voice model), so they are durable, priced, reused on a re-run and failed over like any
other job. They are created with the panels and run beside them; a shot waits for its line
only when its length depends on it (``sound.fit_narration``).
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS
from sqlalchemy import select

from storyreel.catalog import Catalog
from storyreel.engine import jobs
from storyreel.engine.blips import survives_db_blips
from storyreel.engine.pricing import estimate
from storyreel.engine.runtime import runtime
from storyreel.store.models import Asset

from .narration import fitted_duration, line_of, narration_lines
from .project import load_project, planned_shots, story_of
from .requests import sound_requests


@DBOS.step(name="storyreel.story.sound_jobs")
@survives_db_blips
async def create_sound_jobs(project_id: str) -> dict[str, Any]:
    """Every narration line's job and the music job, created (or reused) in one
    transaction: ``{"lines": [child, ...], "music": child | None, "fit": bool}``."""
    rt = runtime()
    project = await load_project(rt, project_id)
    story = story_of(project)
    seconds = sum(shot.duration for shot in project.shots)
    voices, music = sound_requests(Catalog.load(rt.settings), story, seconds)
    reqs = [req for _, req in voices] + ([music] if music is not None else [])
    async with rt.db.session() as session:
        made = await jobs.create_jobs_in(
            session, [(req, estimate(rt.settings, req)) for req in reqs], project_id=project_id
        )
    children = [
        {
            "shot": line.shots[0],
            "shots": list(line.shots),
            "line": line.number,
            "job_id": job.id,
            "provider": job.provider,
        }
        for (line, _), (job, _) in zip(voices, made, strict=False)
    ]
    music_child = None
    if music is not None:
        job, _ = made[-1]
        music_child = {"shot": 1, "line": 0, "job_id": job.id, "provider": job.provider}
    return {"lines": children, "music": music_child, "fit": story.sound.fit_narration}


def shot_extras(
    panel_jobs: list[dict[str, Any]], sound: dict[str, Any], ends: list[int]
) -> list[dict[str, Any]]:
    """What each shot's workflow waits for besides its own panel: the next shot's panel
    (a shot in ``ends`` ends on it) and its narration line (when shots fit their lines)."""
    by_shot = {child["shot"]: child for child in panel_jobs}
    extras: list[dict[str, Any]] = []
    for child in panel_jobs:
        number = child["shot"]
        extra: dict[str, Any] = {}
        if number in ends and number + 1 in by_shot:
            extra["next_panel"] = by_shot[number + 1]
        if sound["fit"]:
            for line in sound["lines"]:
                if number in line["shots"]:
                    extra["voice"] = line
        extras.append(extra)
    return extras


@DBOS.step(name="storyreel.story.audio_assets")
@survives_db_blips
async def audio_assets(shas: list[str]) -> list[dict[str, Any]]:
    """The stored rows (sha, mime, duration) of finished voice and music jobs' outputs."""
    return await _audio_rows(shas)


async def _audio_rows(shas: list[str]) -> list[dict[str, Any]]:
    rt = runtime()
    async with rt.db.session() as session:
        rows = {
            row.sha256: row
            for row in (
                await session.execute(select(Asset).where(Asset.sha256.in_(shas)))
            ).scalars()
        }
    return [{"sha256": sha, "mime": rows[sha].mime, "duration": rows[sha].duration} for sha in shas]


@DBOS.step(name="storyreel.story.fit_shot")
@survives_db_blips
async def fitted_shot_duration(project_id: str, shot_number: int, voice_sha: str) -> float:
    """How long shot ``shot_number`` must last for its narration line to fit."""
    rt = runtime()
    project = await load_project(rt, project_id)
    story = story_of(project)
    planned = {n: shot.duration for n, shot in planned_shots(project).items()}
    [audio] = await _audio_rows([voice_sha])
    line = line_of(narration_lines(story), shot_number)
    fitted = fitted_duration(planned, line, audio["duration"])
    return float(fitted.get(shot_number, planned[shot_number]))
