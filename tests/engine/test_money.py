"""Money through the real adapters and simulators: a refused prompt is never bought again
elsewhere and costs nothing, a rejected submit costs nothing, and a final cost follows what
the provider reports it metered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.engine import jobs
from storyreel.engine.app import Engine
from storyreel.engine.service import submit_job, wait_job
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.vocabulary import GenerationRequest, Task

pytestmark = pytest.mark.slow


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    async with serve_simulators(
        SimConfig(latency=0.1, video_latency=0.2), files_dir=tmp_path / "sim"
    ) as running:
        yield running


@pytest.fixture
async def engine(suite: SimulatorSuite, tmp_path: Path) -> AsyncIterator[Engine]:
    settings = Settings(
        data_dir=tmp_path / "data",
        poll_interval=0.05,
        poll_interval_max=0.2,
        queue_poll_interval=0.05,
        retry_base_delay=0.01,
        providers={name: suite.provider_settings(name) for name in suite.sims},
    )
    async with Engine(settings) as running:
        yield running


def billed(suite: SimulatorSuite) -> dict[str, int]:
    return {name: sum(sim.submissions.values()) for name, sim in suite.sims.items()}


SAFETY_CASES = {
    # provider: (model, prompt, simulator faults)
    "gemini": ("gemini:gemini-3-pro-image-preview", "Mira BLOCKME", {}),
    "openai": ("openai:gpt-image-1.5", "Mira BLOCKME", {}),
    "fal": ("fal:fal-ai/flux-2-pro", "Mira", {"code": "content_policy_violation"}),
    "modelslab": ("modelslab:flux", "Mira", {"code": "nsfw_content_detected"}),
}


@pytest.mark.parametrize("provider", sorted(SAFETY_CASES))
async def test_a_safety_refusal_is_not_bought_again_elsewhere(
    suite: SimulatorSuite, engine: Engine, provider: str
) -> None:
    model, prompt, faults = SAFETY_CASES[provider]
    if "code" in faults:
        suite[provider].own_fail_rate = 1.0
        suite[provider].fail_code = faults["code"]
    assert Catalog.load().chain(model, Task.TEXT_TO_IMAGE), "there is a chain to fail over to"
    req = GenerationRequest(task=Task.TEXT_TO_IMAGE, model=model, prompt=prompt)
    job = await submit_job(req)
    result = await wait_job(job.id)
    assert engine.runtime is not None
    row = await jobs.get_job(engine.runtime.db, job.id)
    assert result["status"] == "failed" and result["job_id"] == job.id
    assert (row.error_reason, row.failover_to, row.cost_usd) == ("safety", None, 0)
    others = {name: n for name, n in billed(suite).items() if name != provider}
    assert set(others.values()) == {0}, others


async def test_a_rejected_submit_costs_nothing_and_is_not_failed_over(
    suite: SimulatorSuite, engine: Engine
) -> None:
    """fal answers 422 (``image_urls: field required``) to the edit endpoint without a
    reference: the request was wrong, nothing was bought, nothing is tried elsewhere."""
    req = GenerationRequest(
        task=Task.REFERENCE_TO_IMAGE, model="fal:fal-ai/flux-2-pro/edit", prompt="Mira"
    )
    job = await submit_job(req)
    result = await wait_job(job.id)
    assert engine.runtime is not None
    row = await jobs.get_job(engine.runtime.db, job.id)
    assert result["status"] == "failed"
    assert (row.error_reason, row.failover_to, row.cost_usd) == ("input", None, 0)
    assert "image_urls" in (row.error or "")
    assert set(billed(suite).values()) == {0}


async def test_the_final_cost_is_what_the_provider_metered(
    suite: SimulatorSuite, engine: Engine
) -> None:
    """z-image-turbo is billed per GPU second on an H100 ($0.001525/s); the catalog expects
    0.6 s ($0.000915) but this run took 6 s, as Replicate's ``metrics.predict_time`` says."""
    suite["replicate"].usage = {"predict_time": 6.0}
    req = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="replicate:prunaai/z-image-turbo", prompt="Mira"
    )
    job = await submit_job(req)
    assert (await wait_job(job.id))["status"] == "succeeded"
    assert engine.runtime is not None
    row = await jobs.get_job(engine.runtime.db, job.id)
    assert row.estimate_usd == Decimal("0.000915")
    assert row.cost_usd == Decimal("0.009150")
    assert row.usage == {"gpu_seconds": 6.0}
