"""Budgets: a job is submitted only if what is spent plus what is committed stays within
every cap that applies to it.

A job holds its estimate against the budgets (``jobs.reserved_usd``) from its first submit
attempt until its final cost replaces it (``jobs.cost_usd``), so the spend of a scope is
always ``SUM(COALESCE(cost_usd, reserved_usd))`` over its jobs: derived from the job rows
themselves, never a separate counter that a crash could leave out of step.

Two scopes apply: the job's project (``projects.budget_usd``, from ``--budget`` or the
story file) and the calendar month in UTC (``Settings.monthly_budget_usd``). The check and
the reservation are one transaction that holds a lock per scope (a PostgreSQL advisory
lock; on SQLite the write lock the transaction takes first), so two workers submitting at
the same moment cannot both squeeze under the same cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, Update, and_, bindparam, case, false, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storyreel.catalog.pricing import format_usd, quantize
from storyreel.errors import BudgetExceeded
from storyreel.store.db import Database
from storyreel.store.models import Job, Project, utcnow


@dataclass(frozen=True)
class Spend:
    """A scope's money: final costs of finished jobs plus reservations of running ones."""

    limit_usd: Decimal | None
    spent_usd: Decimal

    def allows(self, amount: Decimal) -> bool:
        return self.limit_usd is None or self.spent_usd + amount <= self.limit_usd


def month_start(moment: datetime | None = None) -> datetime:
    now = moment or datetime.now(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


_SPENT = func.coalesce(func.sum(func.coalesce(Job.cost_usd, Job.reserved_usd)), 0)


async def project_spend(session: AsyncSession, project_id: str) -> Decimal:
    value = (await session.execute(select(_SPENT).where(Job.project_id == project_id))).scalar_one()
    return quantize(Decimal(str(value)))


async def month_spend(session: AsyncSession, moment: datetime | None = None) -> Decimal:
    value = (
        await session.execute(select(_SPENT).where(Job.created_at >= month_start(moment)))
    ).scalar_one()
    return quantize(Decimal(str(value)))


async def _lock(session: AsyncSession, *scopes: str) -> None:
    """Serialise reservations per scope. SQLite needs nothing more: the caller's first
    statement is a write, so the whole transaction already holds the database's write
    lock, and its reads see every committed reservation."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for scope in sorted(scopes):
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": scope})


def _mark_attempt(uncapped: bool) -> Update:
    """The attempt's UPDATE, which also reserves a job no cap applies to (no monthly cap,
    no project). Built once per case and run as Core: it is on every job's path."""
    jobs = cast(Table, Job.__table__)
    unbounded = jobs.c.project_id.is_(None) if uncapped else false()
    return (
        update(jobs)
        .where(jobs.c.id == bindparam("job_id"))
        .values(
            submit_attempts=bindparam("attempts"),
            submit_started_at=bindparam("now"),
            updated_at=bindparam("now"),
            reserved_usd=case(
                (and_(jobs.c.reserved_usd.is_(None), unbounded), jobs.c.estimate_usd),
                else_=jobs.c.reserved_usd,
            ),
        )
        .returning(jobs.c.reserved_usd, jobs.c.estimate_usd, jobs.c.project_id)
    )


_MARK_ATTEMPT = {uncapped: _mark_attempt(uncapped) for uncapped in (True, False)}


async def reserve_and_mark_attempt(
    db: Database, job_id: str, *, attempts: int, monthly_cap: Decimal | None
) -> None:
    """Record a submit attempt (its count and start: the intent to submit) and, on the
    job's first attempt, reserve its estimate against every budget that applies. Raises
    BudgetExceeded when the reservation does not fit; the transaction then rolls back, so
    the job is left exactly as it was, never submitted and never billed.

    A job that no cap applies to (no monthly cap, no project) is reserved by the same
    statement that records the attempt: one statement where there were three."""
    params = {"job_id": job_id, "attempts": attempts, "now": utcnow()}
    async with db.session() as session:
        # A write first: on SQLite it takes the write lock before anything is read.
        row = (await session.execute(_MARK_ATTEMPT[monthly_cap is None], params)).one()
        if row.reserved_usd is not None or row.estimate_usd is None:
            return
        amount: Decimal = row.estimate_usd
        project = await session.get(Project, row.project_id) if row.project_id else None
        scopes = [f"budget:month:{month_start():%Y-%m}"]
        if project is not None and project.budget_usd is not None:
            scopes.append(f"budget:project:{project.id}")
        await _lock(session, *scopes)
        if project is not None and project.budget_usd is not None:
            spend = Spend(project.budget_usd, await project_spend(session, project.id))
            if not spend.allows(amount):
                raise BudgetExceeded(
                    f"budget reached for {project.title!r}: spent {format_usd(spend.spent_usd)}"
                    f" of {format_usd(project.budget_usd)}, the next job would add "
                    f"{format_usd(amount)}; raise the budget and run the same command again"
                )
        if monthly_cap is not None:
            spend = Spend(monthly_cap, await month_spend(session))
            if not spend.allows(amount):
                raise BudgetExceeded(
                    f"monthly budget reached: spent {format_usd(spend.spent_usd)} of "
                    f"{format_usd(monthly_cap)} this month, the next job would add "
                    f"{format_usd(amount)} (STORYREEL_MONTHLY_BUDGET_USD)"
                )
        await session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(reserved_usd=amount)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class SpendRow:
    """Final costs summed for one provider, model and project."""

    provider: str
    model: str
    project: str
    jobs: int
    cost_usd: Decimal
    estimate_usd: Decimal
    possibly_billed_twice: int


async def spend_report(
    db: Database, *, since: datetime | None = None, project_id: str | None = None
) -> list[SpendRow]:
    """What was spent (final costs; a running job's reservation), by provider, model and
    project, largest first: ``storyreel cost report`` and the API read the same rows."""
    spent = func.coalesce(func.sum(func.coalesce(Job.cost_usd, Job.reserved_usd)), 0)
    planned = func.coalesce(func.sum(Job.estimate_usd), 0)
    doubles = func.coalesce(func.sum(case((Job.possibly_billed_twice, 1), else_=0)), 0)
    stmt = (
        select(
            Job.provider,
            Job.model,
            func.coalesce(Project.title, ""),
            func.count(Job.id),
            spent,
            planned,
            doubles,
        )
        .outerjoin(Project, Project.id == Job.project_id)
        .where((Job.cost_usd.is_not(None)) | (Job.reserved_usd.is_not(None)))
        .group_by(Job.provider, Job.model, Project.title)
    )
    if since is not None:
        stmt = stmt.where(Job.created_at >= since)
    if project_id is not None:
        stmt = stmt.where(Job.project_id == project_id)
    async with db.session() as session:
        rows = (await session.execute(stmt)).all()
    report = [
        SpendRow(
            provider=provider,
            model=model,
            project=title,
            jobs=int(jobs),
            cost_usd=quantize(Decimal(str(cost))),
            estimate_usd=quantize(Decimal(str(estimate))),
            possibly_billed_twice=int(twice),
        )
        for provider, model, title, jobs, cost, estimate, twice in rows
    ]
    return sorted(report, key=lambda r: (-r.cost_usd, r.provider, r.model, r.project))


__all__ = [
    "Spend",
    "SpendRow",
    "month_spend",
    "month_start",
    "project_spend",
    "reserve_and_mark_attempt",
    "spend_report",
]
