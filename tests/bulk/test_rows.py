"""Storing a bulk: one transaction for all its jobs, found again by its key, and refused
whole when it does not fit its budget."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from storyreel.bulk.plan import BulkOptions, BulkPlan, load_plan
from storyreel.bulk.rows import create_bulk
from storyreel.config import Settings
from storyreel.engine.runtime import Runtime
from storyreel.errors import BudgetExceeded
from storyreel.store.db import migrate
from storyreel.store.models import Bulk, BulkItem, CostEntry, Job, Project

from .helpers import make_images, make_prompts


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Runtime]:
    """The app store alone (no engine): creating rows needs nothing more."""
    migrate(settings.app_database_url)
    rt = Runtime.build(settings)
    yield rt
    await rt.close()


def plan_of(settings: Settings, tmp_path: Path, images: int, prompts: int) -> BulkPlan:
    folder = tmp_path / f"imgs{images}x{prompts}"
    make_images(folder, images, start=prompts)
    texts = [f"prompt {n} of {prompts}" for n in range(prompts)]
    path = make_prompts(tmp_path / f"p{prompts}.txt", texts)
    return load_plan(settings, path, folder, BulkOptions())


@contextmanager
def count_sql() -> Iterator[Counter[str]]:
    """Statements and commits of the app store (async engines) while the block runs."""
    counts: Counter[str] = Counter()

    def statement(conn: Any, *_args: Any) -> None:
        if conn.dialect.is_async:
            counts["statements"] += 1

    def commit(conn: Any) -> None:
        if conn.dialect.is_async:
            counts["commits"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    try:
        yield counts
    finally:
        event.remove(Engine, "before_cursor_execute", statement)
        event.remove(Engine, "commit", commit)


async def count(rt: Runtime, model: type[Any]) -> int:
    async with rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_thousand_jobs_are_created_in_one_transaction_of_a_few_statements(
    store: Runtime, settings: Settings, tmp_path: Path
) -> None:
    small = plan_of(settings, tmp_path, 10, 10)
    large = plan_of(settings, tmp_path, 10, 100)
    with count_sql() as for_small:
        await create_bulk(store, small)
    with count_sql() as for_large:
        made = await create_bulk(store, large)
    assert (made.created, made.reused) == (1000, 0)
    assert await count(store, Job) == 1100
    assert await count(store, BulkItem) == 1100
    assert await count(store, CostEntry) == 1100
    assert for_large["commits"] == 1, for_large
    # Ten times the jobs, the same statements: nothing is done once per job.
    assert for_large["statements"] == for_small["statements"], (for_small, for_large)
    assert for_large["statements"] <= 40, for_large


async def test_the_same_inputs_are_the_same_bulk_and_buy_nothing_new(
    store: Runtime, settings: Settings, tmp_path: Path
) -> None:
    plan = plan_of(settings, tmp_path, 2, 3)
    first = await create_bulk(store, plan)
    again = await create_bulk(store, plan_of(settings, tmp_path, 2, 3))
    assert again.bulk_id == first.bulk_id and again.project_id == first.project_id
    assert (again.created, again.reused) == (0, 6)
    assert sorted(again.jobs) == sorted(first.jobs)
    assert await count(store, Job) == 6
    async with store.db.session() as session:
        project = await session.get(Project, first.project_id)
        assert project is not None and project.kind == "bulk"
        bulk = await session.get(Bulk, first.bulk_id)
        assert bulk is not None
        assert [i.job_id for i in bulk.items] == [job_id for job_id, _ in first.jobs]


async def test_a_bulk_over_its_budget_creates_nothing(
    store: Runtime, settings: Settings, tmp_path: Path
) -> None:
    plan = plan_of(settings, tmp_path, 2, 3)  # 6 x $0.35 = $2.10
    with pytest.raises(BudgetExceeded, match=r"would cost \$2.10.*over the budget of \$2"):
        await create_bulk(store, plan, budget_usd=Decimal("2.00"))
    assert await count(store, Job) == 0
    assert await count(store, Bulk) == 0
    assert await count(store, Project) == 0
    made = await create_bulk(store, plan, budget_usd=Decimal("2.10"))
    assert made.created == 6
