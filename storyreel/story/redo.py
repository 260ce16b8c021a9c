"""``story redo``: make one shot's panel and/or clip again although an identical one exists.

Generation jobs are reused by request hash, so the only way to get a new take is a new
job for the same request, created without reuse. The newest finished job for a request
is the one every later lookup returns (``engine.jobs.find_reusable`` orders by id, and
ids are time-ordered), so after a redo the story run, and every run after it, uses the
new take; the rest of the story is reused and only the assembly follows.

A forced panel that comes out different changes its clip's request too, so the clip is
made again by the run that follows; ``--stage panel`` forces only the panel (a
deterministic model draws the same panel, and the clip is then reused), ``--stage clip``
only the clip, and no stage both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from storyreel.catalog import Catalog
from storyreel.engine import jobs
from storyreel.engine.pricing import estimate
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import enqueue_job, preflight_request, wait_job
from storyreel.errors import InputError
from storyreel.providers.types import JobState
from storyreel.vocabulary import GenerationRequest

from .consistency.stage import Composer
from .loader import LoadedStory
from .pipeline import StoryRunError
from .planner import PlannedShot, plan_story
from .project import character_references, load_project
from .requests import bound_clip, bound_panel
from .schema import StoryDef
from .stale import lookup_jobs

Stage = Literal["panel", "clip"]


@dataclass(frozen=True)
class Redo:
    """Which shot to force, and which of its stages (None: panel, then clip)."""

    shot: int
    stage: Stage | None = None

    async def __call__(
        self, rt: Runtime, project_id: str, loaded: LoadedStory, catalog: Catalog
    ) -> None:
        story = loaded.story
        shot = _shot(plan_story(story), self.shot)
        panel_req = await _panel_request(rt, project_id, catalog, story, shot)
        panel_sha: str | None = None
        if self.stage in (None, "panel"):
            panel_sha = await _fresh(rt, panel_req, project_id, f"shot {shot.number}: panel")
        if self.stage in (None, "clip"):
            if panel_sha is None:
                _, shas = await lookup_jobs(rt, {panel_req.cache_key()})
                panel_sha = shas.get(panel_req.cache_key())
                if panel_sha is None:
                    raise InputError(
                        f"shot {shot.number} has no panel yet: run the story first "
                        "(or redo without --stage)"
                    )
            clip_req = bound_clip(catalog, story, shot, panel_sha256=panel_sha)
            await _fresh(rt, clip_req, project_id, f"shot {shot.number}: clip")


async def _panel_request(
    rt: Runtime, project_id: str, catalog: Catalog, story: StoryDef, shot: PlannedShot
) -> GenerationRequest:
    """The shot's panel exactly as the story's workflow binds it (``create_panel_jobs``):
    with the project's references, character sheets included, and its composites, so the
    new take is the job the run that follows finds and uses."""
    project = await load_project(rt, project_id)
    composer = Composer(rt)
    req = bound_panel(
        catalog,
        story,
        shot,
        character_references(project),
        compose=composer.compose,
        mask=composer.mask,
    )
    async with rt.db.session() as session:
        await composer.add_rows(session)
    return req


def _shot(shots: list[PlannedShot], number: int) -> PlannedShot:
    for shot in shots:
        if shot.number == number:
            return shot
    raise InputError(f"--shot {number}: the story has shots 1-{len(shots)}")


async def _fresh(rt: Runtime, req: GenerationRequest, project_id: str, what: str) -> str:
    """Run ``req`` as a new job even though a twin exists; return its first output."""
    preflight_request(rt, req)
    job, _ = await jobs.create_job(
        rt.db,
        req,
        project_id=project_id,
        estimate_usd=estimate(rt.settings, req),
        reuse=False,
    )
    await enqueue_job(job.id, job.provider)
    result = await wait_job(job.id)
    if result["status"] != JobState.SUCCEEDED.value or not result.get("outputs"):
        raise StoryRunError(
            f"{what}: job {job.id} {result['status']}: {result.get('error') or 'no output'}"
        )
    return str(result["outputs"][0])
