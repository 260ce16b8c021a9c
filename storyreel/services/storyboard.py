"""A stored story's storyboard as the studio shows it: a card per shot of its last run's
project (panel, clip, identity scores, draft or final, best-of-N candidates, cost) and
the run's exports.

Everything is read from the store and the story's ``run.json``, never from the run in
memory, so the board is the same in every process and while a run is still going (a shot
without a finished panel yet is a card without an image).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import fmean
from typing import Any

from sqlalchemy import func, select

from storyreel.config import Settings
from storyreel.engine.jobs import find_reusable_many
from storyreel.engine.runtime import Runtime
from storyreel.errors import NotFound
from storyreel.providers.types import JobState
from storyreel.store.models import Asset, IdentityScore, Job, JobOutput, Project, Shot
from storyreel.story.consistency.candidates import candidate_seed
from storyreel.story.project import load_project, planned_shots, story_of
from storyreel.story.requests import candidates_for
from storyreel.story.schema import StoryDef
from storyreel.vocabulary import GenerationRequest

from .stories import StoryFolder, load, read_run


@dataclass(frozen=True)
class Score:
    """One character's identity score in a panel (``cross``: against its reference)."""

    character: str
    cross: float | None
    copy: bool
    sha256: str
    """The panel scored."""


@dataclass(frozen=True)
class Candidate:
    number: int
    """1..N, what ``story pick --candidate`` takes."""
    sha256: str
    score: float | None
    """The mean cross score of the characters in the shot (None: nobody to score)."""
    copy: bool
    chosen: bool


@dataclass(frozen=True)
class Media:
    job_id: str
    status: str
    sha256: str | None
    thumbnail: bool
    cost_usd: Decimal | None


@dataclass(frozen=True)
class Card:
    number: int
    action: str
    characters: list[str]
    setting: str
    camera: str
    panel: Media | None
    clip: Media | None
    draft: bool | None
    """None when the story has no draft model (nothing to finalize)."""
    scores: list[Score]
    candidates: list[Candidate]
    takes: int
    """Finished panels of this very request: 2 after one ``regenerate panel``."""
    busy: bool
    """The running run remakes this shot."""

    @property
    def cost_usd(self) -> Decimal | None:
        """What the shot's current panel and clip cost (None while neither is priced)."""
        costs = [m.cost_usd for m in (self.panel, self.clip) if m and m.cost_usd is not None]
        return sum(costs, Decimal(0)) if costs else None


@dataclass(frozen=True)
class Export:
    label: str
    file: str


@dataclass(frozen=True)
class Board:
    story_id: str
    title: str
    run: dict[str, Any] | None
    cards: list[Card]
    exports: list[Export] = field(default_factory=list)
    has_draft: bool = False

    @property
    def running(self) -> bool:
        return bool(self.run and self.run.get("state") == "running")

    def card(self, number: int) -> Card:
        for card in self.cards:
            if card.number == number:
                return card
        count = len(self.cards)
        raise NotFound(
            f"story {self.story_id} has no shot {number}"
            + (f" (it has shots 1-{count})" if count else " yet: run it first")
        )


async def storyboard(settings: Settings, rt: Runtime, folder: StoryFolder) -> Board:
    """The board of the story's last run (no cards before its first run made its shots)."""
    run = read_run(folder)
    # a run that has just started has no project yet: the last one's shots meanwhile
    project_id = (run or {}).get("project_id") or (run or {}).get("last_project_id")
    if not project_id:
        story = load(settings, folder).story
        return Board(
            folder.id, story.title, run, [], has_draft=story.render.draft_model is not None
        )
    project = await load_project(rt, project_id)
    story = story_of(project)
    busy_shots = _busy(run)
    async with rt.db.session() as session:
        jobs = await _jobs(session, _job_ids(project.shots))
        outputs = await _outputs(session, jobs)
        scores = await _scores(session, project_id)
        takes = await _takes(
            session, [jobs[s.panel_job_id] for s in project.shots if s.panel_job_id in jobs]
        )
        candidates = {
            shot.number: await _candidates(session, project, story, shot, jobs, outputs, scores)
            for shot in project.shots
        }
    plans = planned_shots(project)
    draft_model = story.render.draft_model
    cards = [
        Card(
            number=shot.number,
            action=shot.action,
            characters=list(shot.characters),
            setting=shot.setting,
            camera=shot.camera,
            panel=_media(jobs, outputs, shot.panel_job_id),
            clip=_media(jobs, outputs, shot.clip_job_id),
            draft=None
            if draft_model is None or shot.number not in plans
            else plans[shot.number].image_model == draft_model,
            scores=list(scores.get(shot.number, {}).get(0, [])),
            candidates=candidates[shot.number],
            takes=takes.get(jobs[shot.panel_job_id].request_hash, 0)
            if shot.panel_job_id in jobs
            else 0,
            busy=busy_shots is not None and (not busy_shots or shot.number in busy_shots),
        )
        for shot in project.shots
    ]
    return Board(
        folder.id,
        project.title,
        run,
        cards,
        exports(folder) if run and run.get("state") != "running" else [],
        has_draft=draft_model is not None,
    )


def _busy(run: dict[str, Any] | None) -> set[int] | None:
    """The shots a running run remakes (empty: all of them); None when nothing runs."""
    if not run or run.get("state") != "running":
        return None
    return set(run.get("shots") or ())


def _job_ids(shots: Iterable[Shot]) -> set[str]:
    return {j for s in shots for j in (s.panel_job_id, s.clip_job_id) if j}


async def _jobs(session: Any, ids: set[str]) -> dict[str, Job]:
    if not ids:
        return {}
    rows = (await session.execute(select(Job).where(Job.id.in_(ids)))).scalars()
    return {job.id: job for job in rows}


async def _outputs(session: Any, jobs: dict[str, Job]) -> dict[str, tuple[str, bool]]:
    """Each finished job's first output: (sha256, has a thumbnail)."""
    if not jobs:
        return {}
    stmt = (
        select(JobOutput.job_id, JobOutput.asset_sha256, Asset.thumbnail_sha256)
        .join(Asset, Asset.sha256 == JobOutput.asset_sha256)
        .where(JobOutput.job_id.in_(list(jobs)), JobOutput.position == 0)
    )
    return {job_id: (sha, thumb is not None) for job_id, sha, thumb in await session.execute(stmt)}


async def _scores(session: Any, project_id: str) -> dict[int, dict[int, list[Score]]]:
    """shot -> candidate (0: the chosen panel) -> its characters' scores."""
    stmt = (
        select(IdentityScore)
        .where(IdentityScore.project_id == project_id)
        .order_by(IdentityScore.shot_number, IdentityScore.candidate, IdentityScore.character)
    )
    found: dict[int, dict[int, list[Score]]] = defaultdict(lambda: defaultdict(list))
    for row in (await session.execute(stmt)).scalars():
        found[row.shot_number][row.candidate].append(
            Score(row.character, row.cross, row.copy, row.panel_sha256)
        )
    return found


async def _takes(session: Any, panels: list[Job]) -> dict[str, int]:
    """request hash -> how many finished panels it has (the first take and every redo)."""
    hashes = {job.request_hash for job in panels}
    if not hashes:
        return {}
    stmt = (
        select(Job.request_hash, func.count())
        .where(Job.request_hash.in_(hashes), Job.status == JobState.SUCCEEDED.value)
        .group_by(Job.request_hash)
    )
    return {key: count for key, count in await session.execute(stmt)}


async def _candidates(
    session: Any,
    project: Project,
    story: StoryDef,
    shot: Shot,
    jobs: dict[str, Job],
    outputs: dict[str, tuple[str, bool]],
    scores: dict[int, dict[int, list[Score]]],
) -> list[Candidate]:
    """The shot's best-of-N panels, found as ``create_candidate_jobs`` made them: the
    chosen panel's request with candidate k's seed (the newest finished job of each)."""
    count = candidates_for(story, shot.number)
    if story.render.min_consistency is not None:
        count += story.render.max_redraws
    chosen = jobs.get(shot.panel_job_id or "")
    if count <= 1 or chosen is None or chosen.id not in outputs:
        return []
    request = GenerationRequest.model_validate(chosen.request)
    keys = [
        request.model_copy(update={"seed": candidate_seed(project.seed, k)}).cache_key()
        for k in range(count)
    ]
    found = await find_reusable_many(session, set(keys))
    done = {k: j for k, j in found.items() if j.status == JobState.SUCCEEDED.value}
    firsts = await _outputs(session, {j.id: j for j in done.values()})
    by_sha = {
        each[0].sha256: each
        for number, each in scores.get(shot.number, {}).items()
        if number > 0 and each
    }
    chosen_sha = outputs[chosen.id][0]
    made = []
    for k, key in enumerate(keys):
        job = done.get(key)
        if job is None or job.id not in firsts:
            continue
        sha = firsts[job.id][0]
        each = by_sha.get(sha, [])
        crosses = [s.cross or 0.0 for s in each]
        made.append(
            Candidate(
                number=k + 1,
                sha256=sha,
                score=round(fmean(crosses), 4) if crosses else None,
                copy=any(s.copy for s in each),
                chosen=sha == chosen_sha,
            )
        )
    return made if len(made) > 1 else []


def _media(
    jobs: dict[str, Job], outputs: dict[str, tuple[str, bool]], job_id: str | None
) -> Media | None:
    job = jobs.get(job_id or "")
    if job is None:
        return None
    sha, thumb = outputs.get(job.id, (None, False))
    return Media(job.id, job.status, sha, thumb, job.cost_usd)


EXPORTS = (
    ("video", "Video (MP4)"),
    ("storyboard_pdf", "Storyboard (PDF)"),
    ("contact_sheet", "Contact sheet"),
)


def exports(folder: StoryFolder) -> list[Export]:
    """The finished run's downloads from its manifest: the video, the storyboard PDF,
    each webtoon strip part and the contact sheet (none before a run finished)."""
    try:
        manifest = json.loads((folder.out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return []
    found = [
        Export(label, manifest[key]["file"]) for key, label in EXPORTS[:2] if manifest.get(key)
    ]
    parts = manifest.get("webtoon") or []
    for index, part in enumerate(parts, 1):
        found.append(Export(f"Webtoon strip part {index} of {len(parts)}", part["file"]))
    if manifest.get("contact_sheet"):
        found.append(Export(EXPORTS[2][1], manifest["contact_sheet"]["file"]))
    return found
