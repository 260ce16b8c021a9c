"""The consistency steps of the story workflow: sheets before panels, composites and masks
while panels are bound.

Each is a DBOS step, so a run that crashes between them resumes without drawing a sheet
twice (sheet jobs are reused by request hash like every job).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from dbos import DBOS
from sqlalchemy import delete

from storyreel.catalog import Catalog
from storyreel.engine import jobs
from storyreel.engine.blips import survives_db_blips
from storyreel.engine.pricing import estimate
from storyreel.engine.runtime import Runtime, runtime
from storyreel.media.composite import side_by_side, slot_mask
from storyreel.store.models import Asset, Character, IdentityScore
from storyreel.store.records import add_asset, store_image
from storyreel.vocabulary import Reference, RefRole

from ..project import character_references, load_project, story_of
from ..requests import bound_sheet, sheet_cast
from .identity import (
    Panel,
    PanelScore,
    find_characters,
    get_scorer,
    panel_badge,
    report,
    score_panels,
    scores_of,
)


@DBOS.step(name="storyreel.story.sheet_jobs")
@survives_db_blips
async def create_sheet_jobs(project_id: str) -> list[dict[str, Any]]:
    """A sheet job for every character in a shot that has neither a reference image nor a
    sheet yet, created (or reused) in one transaction."""
    rt = runtime()
    project = await load_project(rt, project_id)
    story = story_of(project)
    catalog = Catalog.load(rt.settings)
    have = {c.name for c in project.characters if c.reference_asset or c.sheet_asset}
    wanted = sheet_cast(catalog, story, have)
    reqs = [bound_sheet(catalog, story, character) for character in wanted]
    async with rt.db.session() as session:
        made = await jobs.create_jobs_in(
            session, [(req, estimate(rt.settings, req)) for req in reqs], project_id=project_id
        )
    return [
        {
            "shot": f"sheet of {character.name}",
            "character": character.name,
            "job_id": job.id,
            "provider": job.provider,
        }
        for character, (job, _) in zip(wanted, made, strict=True)
    ]


@DBOS.step(name="storyreel.story.record_sheet")
@survives_db_blips
async def record_sheet(project_id: str, character: str, sha256: str) -> None:
    """Make the finished sheet the character's reference for every panel."""
    rt = runtime()
    async with rt.db.session() as session:
        asset = await session.get(Asset, sha256)
        project = await load_project(rt, project_id)
        for row in project.characters:
            if row.name == character:
                stored = await session.get(Character, row.id)
                assert stored is not None
                stored.sheet_asset = sha256
                stored.sheet_mime = asset.mime if asset is not None else "image/png"


class Composer:
    """Makes and stores composite references and region masks while panels are bound."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.made: list[dict[str, Any]] = []
        """Asset rows to add in the caller's transaction."""

    def compose(self, refs: Sequence[Reference]) -> Reference:
        data = side_by_side([self.rt.assets.read(r.asset, r.mime) for r in refs])
        return self._keep(data, RefRole.CHARACTER, "+".join(r.name or "" for r in refs))

    def mask(self, index: int, count: int, width: int, height: int) -> Reference:
        return self._keep(slot_mask(index, count, width, height), RefRole.MASK, None)

    def _keep(self, data: bytes, role: RefRole, name: str | None) -> Reference:
        info = store_image(self.rt.assets, data, "image/png")
        self.made.append(info)
        return Reference(role=role, asset=info["sha256"], mime="image/png", name=name)

    async def add_rows(self, session: Any) -> None:
        for info in self.made:
            await add_asset(session, info)


def _rows(
    project_id: str, scorer: str, scored: Sequence[PanelScore], panels: dict[str, str]
) -> list[IdentityScore]:
    return [
        IdentityScore(
            project_id=project_id,
            shot_number=score.shot,
            candidate=0,
            panel_sha256=panels[str(score.shot)],
            character=score.character,
            scorer=scorer,
            cross=score.cross,
            self_score=score.self_score,
            copy=score.copy,
        )
        for score in scored
    ]


@DBOS.step(name="storyreel.story.panel_identity")
@survives_db_blips
async def score_panel(project_id: str, shot_number: int, panel_sha: str) -> dict[str, Any]:
    """Locate each character with a reference in one chosen panel as soon as it exists
    (the costly part of scoring, so it overlaps the clips still generating) and store the
    panel's cross and copy scores; its self score follows once every panel is in
    (``score_identity``). Returns what was found, by character, for that step."""
    rt = runtime()
    project = await load_project(rt, project_id)
    scorer = get_scorer(story_of(project).render.scorer)
    shot = next(s for s in project.shots if s.number == shot_number)
    refs = {
        name: r[0] for name, r in character_references(project).items() if name in shot.characters
    }

    def locate() -> dict[str, Any]:
        figures = {
            name: scorer.reference(rt.assets.read(r.asset, r.mime)) for name, r in refs.items()
        }
        panel = Panel(shot_number, rt.assets.read(panel_sha, "image/png"), tuple(shot.characters))
        return find_characters(scorer, figures, panel)

    found = await asyncio.to_thread(locate)
    scored = scores_of(scorer, {(shot_number, name): here for name, here in found.items()})
    async with rt.db.session() as session:
        await session.execute(
            delete(IdentityScore).where(
                IdentityScore.project_id == project_id,
                IdentityScore.shot_number == shot_number,
                IdentityScore.candidate == 0,
            )
        )
        session.add_all(_rows(project_id, scorer.name, scored, {str(shot_number): panel_sha}))
    return found


@DBOS.step(name="storyreel.story.identity")
@survives_db_blips
async def score_identity(
    project_id: str, panels: dict[str, str], found: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Score every chosen panel against each present character's reference (or sheet) and
    against the character's other panels; store the scores and return the report (the
    manifest's ``consistency``), with each panel's badge and the characters' images.
    ``found``: what ``score_panel`` located in each panel (by shot number), so only the
    comparisons between panels are left; without it every panel is searched here."""
    rt = runtime()
    project = await load_project(rt, project_id)
    story = story_of(project)
    scorer = get_scorer(story.render.scorer)
    refs = character_references(project)
    if found is None:
        images = {name: rt.assets.read(r[0].asset, r[0].mime) for name, r in refs.items()}
        scored = await asyncio.to_thread(
            score_panels,
            scorer,
            images,
            [
                Panel(
                    s.number,
                    rt.assets.read(panels[str(s.number)], "image/png"),
                    tuple(s.characters),
                )
                for s in project.shots
            ],
        )
    else:
        scored = scores_of(
            scorer,
            {
                (s.number, name): here
                for s in project.shots
                for name, here in found[str(s.number)].items()
            },
        )
    async with rt.db.session() as session:
        await session.execute(  # the candidates' own scores (candidate > 0) stay
            delete(IdentityScore).where(
                IdentityScore.project_id == project_id, IdentityScore.candidate == 0
            )
        )
        session.add_all(_rows(project_id, scorer.name, scored, panels))
    result = report(scorer.name, scored)
    result["badges"] = {
        str(s.number): badge for s in project.shots if (badge := panel_badge(scored, s.number))
    }
    result["references"] = [
        {
            "name": c.name,
            "source": "reference" if c.reference_asset else "sheet",
            "sha256": refs[c.name][0].asset,
            "mime": refs[c.name][0].mime,
        }
        for c in project.characters
        if c.name in refs
    ]
    return result
