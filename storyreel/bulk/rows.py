"""Storing a bulk: its project (the budget scope), its items and every job, in ONE
transaction.

However many items a bulk has, creating it is one transaction with a handful of
statements: one lookup of the bulk by its key, one batched insert of its items (plain
rows, no unit of work), and ``engine.jobs.create_jobs_in`` (one lookup of reusable jobs
for all request hashes, one batched insert of the new jobs and one of their estimates).
Running the same bulk again finds the same rows: finished and running jobs are reused,
only failed or canceled ones get a new job, so nothing is bought twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storyreel.catalog.pricing import format_usd
from storyreel.engine import jobs
from storyreel.engine.budget import project_spend
from storyreel.engine.runtime import Runtime
from storyreel.errors import BudgetExceeded, InputError, NotFound
from storyreel.providers.types import JobState
from storyreel.store.models import Bulk, BulkItem, Project
from storyreel.store.records import add_asset, store_image

from .inputs import read_image_bytes
from .plan import BulkPlan

FAILOVER = "family"
"""A bulk asked for one model: only that model at another provider may take a job over."""


@dataclass(frozen=True)
class CreatedBulk:
    """The stored bulk and its distinct jobs, to enqueue: (job id, provider)."""

    bulk_id: str
    project_id: str
    jobs: list[tuple[str, str]]
    created: int
    reused: int


def _item_rows(plan: BulkPlan, bulk_id: str, job_ids: list[str]) -> list[dict[str, Any]]:
    """The items of a new bulk as plain rows: one batched insert, not 1,000 objects."""
    return [
        {
            "bulk_id": bulk_id,
            "position": p.item.position,
            "image_name": p.item.image.name,
            "image_sha256": p.item.image.sha256,
            "image_mime": p.item.image.mime,
            "prompt_number": p.item.prompt_number,
            "prompt": p.item.prompt,
            "job_id": job_id,
        }
        for p, job_id in zip(plan.items, job_ids, strict=True)
    ]


def _new_rows(plan: BulkPlan, budget_usd: Decimal | None) -> tuple[Project, Bulk]:
    project = Project(
        kind="bulk",
        title=plan.title[:300],
        story_hash=plan.key,
        story={"render": {"failover": FAILOVER}, "bulk": {"key": plan.key}},
        seed=0,
        budget_usd=budget_usd,
    )
    bulk = Bulk(
        key=plan.key,
        title=plan.title[:300],
        model=plan.model,
        resolution=plan.resolution,
        duration=plan.duration,
        one_to_one=plan.one_to_one,
    )
    return project, bulk


async def _check_budget(session: AsyncSession, project: Project, plan: BulkPlan) -> None:
    """Refuse the bulk when what it spent plus what its unfinished jobs will cost passes
    its budget, before any job is created (the transaction then rolls back whole)."""
    if project.budget_usd is None:
        return
    estimates = {p.request.cache_key(): p.estimate_usd for p in plan.items}
    known = await jobs.find_reusable_many(session, set(estimates))
    to_buy = [
        estimate
        for key, estimate in estimates.items()
        if key not in known
        or (known[key].status != JobState.SUCCEEDED.value and known[key].reserved_usd is None)
    ]
    if any(estimate is None for estimate in to_buy):
        raise InputError("a budget needs prices: this model is not in the catalog's price list")
    remaining = sum((estimate or Decimal(0) for estimate in to_buy), Decimal(0))
    spent = await project_spend(session, project.id) if project.id else Decimal(0)
    if spent + remaining > project.budget_usd:
        raise BudgetExceeded(
            f"this bulk would cost {format_usd(spent + remaining)} (spent {format_usd(spent)}"
            f" + {format_usd(remaining)} to go), over the budget of "
            f"{format_usd(project.budget_usd)}; nothing was submitted"
        )


async def create_bulk(
    rt: Runtime, plan: BulkPlan, *, budget_usd: Decimal | None = None
) -> CreatedBulk:
    """Store the images, then the bulk, its items and all its jobs in one transaction (or
    find them: the same inputs are the same bulk). The budget given replaces the bulk's
    earlier one, as a story run's does."""
    assets = [
        await asyncio.to_thread(store_image, rt.assets, read_image_bytes(image), image.mime)
        for image in plan.images
    ]

    async def work(session: AsyncSession) -> CreatedBulk:
        for info in assets:
            await add_asset(session, info)
        bulk = (
            await session.execute(select(Bulk).where(Bulk.key == plan.key))
        ).scalar_one_or_none()
        fresh = bulk is None
        if bulk is None:
            project, bulk = _new_rows(plan, budget_usd)
            session.add(project)
            await session.flush()
            bulk.project_id = project.id
            session.add(bulk)
            await session.flush()
        else:
            found = await session.get(Project, bulk.project_id)
            assert found is not None
            project = found
            project.budget_usd = budget_usd
        await _check_budget(session, project, plan)
        made = await jobs.create_jobs_in(
            session, [(p.request, p.estimate_usd) for p in plan.items], project_id=project.id
        )
        if fresh:
            job_ids = [job.id for job, _ in made]
            await session.execute(insert(BulkItem), _item_rows(plan, bulk.id, job_ids))
        else:
            for item, (job, _) in zip(bulk.items, made, strict=True):
                if item.job_id != job.id:
                    item.job_id = job.id
        distinct = {job.id: job.provider for job, _ in made}
        created = len({job.id for job, new in made if new})
        return CreatedBulk(
            bulk_id=bulk.id,
            project_id=project.id,
            jobs=list(distinct.items()),
            created=created,
            reused=len(distinct) - created,
        )

    return await rt.db.transaction(work)


async def get_bulk(rt: Runtime, bulk_id: str) -> Bulk:
    async with rt.db.session() as session:
        bulk = await session.get(Bulk, bulk_id)
        if bulk is None:
            raise NotFound(f"no bulk {bulk_id!r}")
        return bulk


async def relink(rt: Runtime, bulk_id: str, old_job: str, new_job: str) -> None:
    """Point the items of a job that failed over at the job that made their video."""
    async with rt.db.session() as session:
        items = (
            await session.execute(
                select(BulkItem).where(BulkItem.bulk_id == bulk_id, BulkItem.job_id == old_job)
            )
        ).scalars()
        for item in items:
            item.job_id = new_job
