"""Best-of-N panels and redraws below a consistency threshold.

``render.candidates`` (or a shot's ``candidates``) draws N panels that differ only in seed;
the identity scorer picks the one whose characters hold best against their references, the
others stay in the library (their jobs and assets are kept), and a user's pick
(``storyreel story pick FILE --shot 3 --candidate 2``, stored on the shot) wins over the
scorer's on every later run. ``render.min_consistency`` draws another candidate while the
best is below it, at most ``render.max_redraws`` times and only while the budget allows
(a redraw the budget refuses ends the redraws, keeping the best so far).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from statistics import fmean
from typing import Any

from dbos import DBOS
from sqlalchemy import delete

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.engine import jobs
from storyreel.engine.app import Engine
from storyreel.engine.blips import survives_db_blips
from storyreel.engine.pricing import estimate
from storyreel.engine.runtime import Runtime, runtime
from storyreel.errors import BudgetExceeded, InputError
from storyreel.store.models import IdentityScore, Shot

from ..loader import load_story
from ..project import character_references, load_project, planned_shots, prepare_project, story_of
from ..requests import bound_panel, candidates_for
from .identity import get_scorer
from .stage import Composer

RunChild = Callable[[dict[str, Any], str], Awaitable[str]]


def candidate_seed(seed: int | None, index: int) -> int:
    """Candidate 0 keeps the story's seed (so a story without candidates is unchanged)."""
    return ((seed or 0) + index * 7919) % 2**32


@DBOS.step(name="storyreel.story.candidate_plan")
@survives_db_blips
async def candidate_plan(project_id: str, shot_number: int) -> dict[str, Any]:
    story = story_of(await load_project(runtime(), project_id))
    return {
        "count": candidates_for(story, shot_number),
        "min": story.render.min_consistency,
        "redraws": story.render.max_redraws,
    }


@DBOS.step(name="storyreel.story.candidate_jobs")
@survives_db_blips
async def create_candidate_jobs(
    project_id: str, shot_number: int, first: int, count: int
) -> list[dict[str, Any]]:
    """Jobs for candidates ``first``.. of a shot: its panel request with other seeds."""
    rt = runtime()
    project = await load_project(rt, project_id)
    story = story_of(project)
    composer = Composer(rt)
    base = bound_panel(
        Catalog.load(rt.settings),
        story,
        planned_shots(project)[shot_number],
        character_references(project),
        compose=composer.compose,
        mask=composer.mask,
    )
    reqs = [
        base.model_copy(update={"seed": candidate_seed(base.seed, k)})
        for k in range(first, first + count)
    ]
    async with rt.db.session() as session:
        await composer.add_rows(session)
        made = await jobs.create_jobs_in(
            session, [(req, estimate(rt.settings, req)) for req in reqs], project_id=project_id
        )
    return [
        {"shot": shot_number, "job_id": job.id, "provider": job.provider, "candidate": k}
        for k, (job, _) in zip(range(first, first + count), made, strict=True)
    ]


def _score(scorer: Any, refs: dict[str, Any], panel: bytes, cast: list[str]) -> dict[str, Any]:
    """Each present character's similarity to its reference (a copy scores 0)."""
    return {name: scorer.find(panel, refs[name]) for name in cast if name in refs}


def _mean(found: dict[str, Any]) -> float:
    values = [0.0 if f.copy else float(f.similarity) for f in found.values()]
    return round(fmean(values), 4) if values else 1.0


@DBOS.step(name="storyreel.story.pick")
@survives_db_blips
async def pick_candidate(
    project_id: str, shot_number: int, shas: list[str], job_ids: list[str]
) -> dict[str, Any]:
    """Score every candidate (mean cross over the characters in the shot) and choose: the
    user's pick if there is one, else the highest. The shot then points at that job."""
    rt = runtime()
    project = await load_project(rt, project_id)
    story = story_of(project)
    shot = next(s for s in project.shots if s.number == shot_number)
    scorer = get_scorer(story.render.scorer)
    refs = {
        name: scorer.reference(rt.assets.read(r[0].asset, r[0].mime))
        for name, r in character_references(project).items()
    }
    found = [
        await asyncio.to_thread(
            _score, scorer, refs, rt.assets.read(sha, "image/png"), list(shot.characters)
        )
        for sha in shas
    ]
    scores = [_mean(each) for each in found]
    by_user = shot.picked_candidate is not None and 1 <= shot.picked_candidate <= len(shas)
    index = shot.picked_candidate - 1 if by_user and shot.picked_candidate else None
    if index is None:
        index = max(range(len(shas)), key=lambda i: (scores[i], -i))
    async with rt.db.session() as session:
        row = await session.get(Shot, shot.id)
        assert row is not None
        row.panel_job_id = job_ids[index]
        await _keep_scores(session, project_id, shot_number, scorer.name, shas, found)
    return {"index": index, "sha": shas[index], "scores": scores, "by_user": by_user}


async def _keep_scores(
    session: Any,
    project_id: str,
    shot_number: int,
    scorer: str,
    shas: list[str],
    found: list[dict[str, Any]],
) -> None:
    """Every candidate's scores, numbered from 1, for the storyboard's candidate picker
    (the chosen panel's own scores are candidate 0, written by ``score_identity``)."""
    await session.execute(
        delete(IdentityScore).where(
            IdentityScore.project_id == project_id,
            IdentityScore.shot_number == shot_number,
            IdentityScore.candidate > 0,
        )
    )
    for number, (sha, each) in enumerate(zip(shas, found, strict=True), 1):
        for name, hit in each.items():
            session.add(
                IdentityScore(
                    project_id=project_id,
                    shot_number=shot_number,
                    candidate=number,
                    panel_sha256=sha,
                    character=name,
                    scorer=scorer,
                    cross=0.0 if hit.copy else round(float(hit.similarity), 4),
                    copy=bool(hit.copy),
                )
            )


async def best_panel(project_id: str, panel: dict[str, Any], first_sha: str, run: RunChild) -> str:
    """The shot's chosen panel among its candidates (``first_sha`` is candidate 1's)."""
    plan = await candidate_plan(project_id, panel["shot"])
    if plan["count"] <= 1 and plan["min"] is None:
        return first_sha
    shas, job_ids = [first_sha], [panel["job_id"]]
    for child in await create_candidate_jobs(project_id, panel["shot"], 1, plan["count"] - 1):
        shas.append(await run(child, "panel"))
        job_ids.append(child["job_id"])
    picked = await pick_candidate(project_id, panel["shot"], shas, job_ids)
    redraws = 0
    while (
        plan["min"] is not None
        and not picked["by_user"]
        and picked["scores"][picked["index"]] < plan["min"]
        and redraws < plan["redraws"]
    ):
        redraws += 1
        (child,) = await create_candidate_jobs(project_id, panel["shot"], len(shas), 1)
        try:
            shas.append(await run(child, "panel"))
        except BudgetExceeded:
            break  # within the budget: keep the best so far
        job_ids.append(child["job_id"])
        picked = await pick_candidate(project_id, panel["shot"], shas, job_ids)
    return str(picked["sha"])


async def set_pick(settings: Settings, story_file: Path, shot: int, candidate: int) -> None:
    """Record the user's choice of candidate for a shot; it survives every later run."""
    loaded = load_story(
        story_file,
        max_image_bytes=settings.max_upload_bytes,
        max_image_pixels=settings.max_image_pixels,
    )
    async with Engine(settings) as engine:
        rt = engine.runtime
        assert rt is not None
        project_id = await prepare_project(rt, loaded)
        await record_pick(rt, project_id, shot, candidate)


async def record_pick(
    rt: Runtime, project_id: str, shot: int, candidate: int, *, drawn: int = 0
) -> None:
    """Make ``candidate`` (1..N) the shot's panel on the project's next run. ``drawn``: how
    many candidates exist (redraws below ``render.min_consistency`` add to the story's N),
    when the caller counted them."""
    project = await load_project(rt, project_id)
    row = next((s for s in project.shots if s.number == shot), None)
    if row is None:
        raise InputError(f"the story has no shot {shot} (it has {len(project.shots)})")
    count = max(candidates_for(story_of(project), shot), drawn)
    if not 1 <= candidate <= count:
        raise InputError(f"shot {shot} draws {count} candidate(s); pick 1 to {count}")
    async with rt.db.session() as session:
        stored = await session.get(Shot, row.id)
        assert stored is not None
        stored.picked_candidate = candidate
