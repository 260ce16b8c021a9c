"""What a run of a story would redo, read from the store without running anything.

The story's stages form a small DAG, each node keyed by the hash of its inputs: a shot's
panel by its request (prompt with the characters' descriptions, references, model, size,
seed), its clip by its request (which holds the panel's sha), the assembly by its recipe
(the clips' shas, lengths, fps, size, transition). A node is current when the store holds
a finished (or running) job or derived asset under that key; everything downstream of a
node that is not current is stale too. ``story plan`` prints this, and the run itself
redoes exactly these nodes, because it looks its jobs and assemblies up by the same keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from storyreel.catalog import Catalog
from storyreel.engine import jobs
from storyreel.engine.runtime import Runtime
from storyreel.providers.types import JobState
from storyreel.store.models import Asset, JobOutput
from storyreel.vocabulary import Reference, RefRole

from .planner import PlannedShot
from .requests import bound_clip, bound_panel, bound_sheet, sheet_cast
from .reuse import assembly_recipe, find_derived
from .schema import StoryDef


@dataclass(frozen=True)
class ShotWork:
    """One shot's stages: True where a run would make it anew."""

    number: int
    panel: bool
    clip: bool


@dataclass
class RedoReport:
    shots: list[ShotWork] = field(default_factory=list)
    assembly: bool = True

    @property
    def panels(self) -> list[int]:
        return [s.number for s in self.shots if s.panel]

    @property
    def clips(self) -> list[int]:
        return [s.number for s in self.shots if s.clip]

    @property
    def nothing(self) -> bool:
        return not self.panels and not self.clips and not self.assembly


async def _first_outputs(rt: Runtime, job_ids: set[str]) -> dict[str, str]:
    if not job_ids:
        return {}
    async with rt.db.session() as session:
        rows = await session.execute(
            select(JobOutput.job_id, JobOutput.asset_sha256).where(
                JobOutput.job_id.in_(job_ids), JobOutput.position == 0
            )
        )
        return {job_id: sha for job_id, sha in rows.all()}


async def lookup_jobs(rt: Runtime, keys: set[str]) -> tuple[set[str], dict[str, str]]:
    """(keys with a reusable job, key -> first output sha of the finished ones)."""
    async with rt.db.session() as session:
        found = await jobs.find_reusable_many(session, keys)
    finished = {k: j.id for k, j in found.items() if j.status == JobState.SUCCEEDED.value}
    outputs = await _first_outputs(rt, set(finished.values()))
    shas = {key: outputs[job_id] for key, job_id in finished.items() if job_id in outputs}
    return set(found), shas


def everything(shots: Sequence[PlannedShot]) -> RedoReport:
    """The report for a store that holds nothing yet: every stage is made anew."""
    return RedoReport(shots=[ShotWork(number=s.number, panel=True, clip=True) for s in shots])


async def with_sheets(
    rt: Runtime, catalog: Catalog, story: StoryDef, references: dict[str, list[Reference]]
) -> dict[str, list[Reference]]:
    """``references`` plus the character sheets already drawn: a run makes each panel
    with its characters' sheets (``project.character_references``), so the panel keys
    are only the run's keys with them. A sheet not drawn yet stays missing, and so the
    panels of its character stay stale, as they are: the run draws the sheet first."""
    wanted = {
        c.name: bound_sheet(catalog, story, c).cache_key()
        for c in sheet_cast(catalog, story, set(references))
    }
    if not wanted:
        return references
    _, shas = await lookup_jobs(rt, set(wanted.values()))
    async with rt.db.session() as session:
        rows = await session.execute(
            select(Asset.sha256, Asset.mime).where(Asset.sha256.in_(set(shas.values())))
        )
        mimes = {sha: mime for sha, mime in rows.all()}
    found = dict(references)
    for name, key in wanted.items():
        sha = shas.get(key)
        if sha is not None:
            mime = mimes.get(sha, "image/png")
            found[name] = [Reference(role=RefRole.CHARACTER, asset=sha, mime=mime, name=name)]
    return found


async def would_redo(
    rt: Runtime,
    catalog: Catalog,
    story: StoryDef,
    shots: Sequence[PlannedShot],
    references: dict[str, list[Reference]],
) -> RedoReport:
    """Each shot's panel and clip, and the assembly: would a run make them anew?"""
    references = await with_sheets(rt, catalog, story, references)
    panels = {s.number: bound_panel(catalog, story, s, references).cache_key() for s in shots}
    reusable, panel_shas = await lookup_jobs(rt, set(panels.values()))
    clip_keys: dict[int, str] = {}
    for shot in shots:
        sha = panel_shas.get(panels[shot.number])
        if sha is not None:
            clip_keys[shot.number] = bound_clip(catalog, story, shot, panel_sha256=sha).cache_key()
    clips_reusable, clip_shas = await lookup_jobs(rt, set(clip_keys.values()))
    report = RedoReport()
    for shot in shots:
        key = clip_keys.get(shot.number)
        report.shots.append(
            ShotWork(
                number=shot.number,
                panel=panels[shot.number] not in reusable,
                clip=key is None or key not in clips_reusable,
            )
        )
    made = [clip_shas.get(clip_keys.get(s.number, "")) for s in shots]
    if all(made):
        width, height = story.size
        recipe = assembly_recipe(
            [sha for sha in made if sha],
            fps=story.render.fps,
            width=width,
            height=height,
            transition_frames=story.render.transition_frames,
            durations=[s.duration for s in shots],
        )
        async with rt.db.session() as session:
            report.assembly = await find_derived(session, rt.assets, recipe) is None
    return report
