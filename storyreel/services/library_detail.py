"""One library asset with the generation that made it: what the UI's lightbox shows and
what "reuse settings" copies (prompt, model, seed), with the job's cost and, for a story
panel, how well each character held in it (``identity_scores``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from storyreel.engine.runtime import Runtime
from storyreel.errors import InputError, NotFound
from storyreel.store.models import Asset, IdentityScore, Job, JobOutput

from .library import LibraryItem


@dataclass(frozen=True)
class CharacterScore:
    """One character's identity score in a panel (``story/consistency``)."""

    character: str
    cross: float | None
    self_score: float | None
    copy: bool


@dataclass(frozen=True, kw_only=True)
class AssetDetail(LibraryItem):
    """The library's item with its whole prompt and what else its job asked for and cost.

    Keyword-only: the fields it adds follow ``LibraryItem.prompt``, which has a default.
    """

    negative_prompt: str
    seed: int | None
    cost_usd: Decimal | None
    """The job's final cost, or its estimate while it has none (``cost_is_estimate``)."""
    cost_is_estimate: bool
    outputs: int
    """How many files the job made: the cost is the job's, shared by all of them."""
    scores: list[CharacterScore]


def parse_item(item: str) -> tuple[str, int]:
    """``<job id>.<position>``, the library's cursor of one asset."""
    job_id, _, position = item.partition(".")
    if len(job_id) != 26 or not job_id.isalnum() or not position.isdigit() or len(position) > 4:
        raise InputError(f"not a library item: {item[:60]!r} (expected <job id>.<position>)")
    return job_id, int(position)


def _seed(request: dict[str, Any]) -> int | None:
    seed = request.get("seed")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def _text(request: dict[str, Any], key: str) -> str:
    value = request.get(key)
    return value if isinstance(value, str) else ""


async def scores_for(rt: Runtime, sha256: str) -> list[CharacterScore]:
    """Each character's newest score in the panel ``sha256`` (a panel scored again after
    a re-pick keeps only its latest row per character)."""
    newest = (
        select(IdentityScore.character, func.max(IdentityScore.id).label("id"))
        .where(IdentityScore.panel_sha256 == sha256)
        .group_by(IdentityScore.character)
        .subquery()
    )
    stmt = (
        select(IdentityScore)
        .join(newest, IdentityScore.id == newest.c.id)
        .order_by(IdentityScore.character)
    )
    async with rt.db.session() as session:
        rows = (await session.execute(stmt)).scalars().all()
    return [CharacterScore(r.character, r.cross, r.self_score, r.copy) for r in rows]


async def asset_detail(rt: Runtime, item: str) -> AssetDetail:
    """The asset at ``item`` (``<job id>.<position>``) and its generation."""
    job_id, position = parse_item(item)
    stmt = (
        select(JobOutput, Job, Asset)
        .join(Job, Job.id == JobOutput.job_id)
        .join(Asset, Asset.sha256 == JobOutput.asset_sha256)
        .where(JobOutput.job_id == job_id, JobOutput.position == position)
    )
    count = select(func.count()).select_from(JobOutput).where(JobOutput.job_id == job_id)
    async with rt.db.session() as session:
        row = (await session.execute(stmt)).first()
        outputs = (await session.execute(count)).scalar_one()
    if row is None:
        raise NotFound(f"no library item {item!r}")
    out, job, asset = row
    request = job.request if isinstance(job.request, dict) else {}
    return AssetDetail(
        job_id=job.id,
        position=out.position,
        sha256=asset.sha256,
        mime=out.mime,
        model=job.model,
        task=job.task,
        prompt=_text(request, "prompt"),
        negative_prompt=_text(request, "negative_prompt"),
        seed=_seed(request),
        cost_usd=job.cost_usd if job.cost_usd is not None else job.estimate_usd,
        cost_is_estimate=job.cost_usd is None and job.estimate_usd is not None,
        outputs=outputs,
        project_id=job.project_id,
        created_at=job.created_at,
        width=asset.width,
        height=asset.height,
        duration=asset.duration,
        size=asset.size,
        thumbnail_sha256=asset.thumbnail_sha256,
        scores=await scores_for(rt, asset.sha256),
    )
