"""Budgets under concurrency: however many jobs submit at the same moment, on SQLite or
PostgreSQL, what is spent plus what is committed never passes the cap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from storyreel.catalog import clear_cache
from storyreel.engine import jobs
from storyreel.engine.app import Engine
from storyreel.engine.budget import month_spend
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import submit_job, wait_job
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task

PRICED = """
[[models]]
id = "scripted:priced"
title = "a priced test model"
tasks = ["text-to-image"]
price = { kind = "per_image", usd = "0.05" }
price_source = "test"
"""


@pytest.fixture
async def priced(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Runtime]:
    assert engine.runtime is not None
    path = engine.runtime.settings.data_path / "catalog.toml"
    path.write_text(PRICED)
    monkeypatch.setenv("STORYREEL_CATALOG_FILE", str(path))
    clear_cache()
    ScriptedProvider.reset()
    await engine.add_provider(ScriptedProvider)
    yield engine.runtime
    clear_cache()


def job(seed: int) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE,
        model="scripted:priced",
        prompt=f"panel {seed}",
        seed=seed,
        extra={"submit_delay": 0.05},
    )


async def test_concurrent_submits_never_pass_the_monthly_cap(priced: Runtime) -> None:
    priced.settings.monthly_budget_usd = Decimal("0.15")
    submitted = [await submit_job(job(seed)) for seed in range(8)]
    results = await asyncio.gather(*(wait_job(j.id) for j in submitted))
    statuses = sorted(r["status"] for r in results)
    assert statuses == ["failed"] * 5 + ["succeeded"] * 3
    assert sum(ScriptedProvider.submissions.values()) == 3
    for result in results:
        row = await jobs.get_job(priced.db, result["job_id"])
        if row.status == "failed":
            assert (row.error_reason, row.cost_usd, row.submit_attempts) == ("budget", 0, 0)
            assert "monthly budget reached" in (row.error or "")
    async with priced.db.session() as session:
        assert await month_spend(session) == Decimal("0.15")


async def test_without_a_cap_nothing_is_refused(priced: Runtime) -> None:
    submitted = [await submit_job(job(seed)) for seed in range(4)]
    results = await asyncio.gather(*(wait_job(j.id) for j in submitted))
    assert {r["status"] for r in results} == {"succeeded"}
