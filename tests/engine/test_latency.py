"""Learning a model's latency from finished jobs: the expectation starts at the catalog's
figure and moves to what this installation observes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from storyreel.catalog import Catalog
from storyreel.engine import jobs, latency
from storyreel.engine.runtime import Runtime
from storyreel.providers.types import JobState
from storyreel.store.models import utcnow
from storyreel.vocabulary import GenerationRequest, Task

MODEL = "fal:fal-ai/flux-2/turbo"  # the catalog says 2 s


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    latency.clear_cache()
    yield
    latency.clear_cache()


async def finished(rt: Runtime, seconds: float, *, polls: int = 3, seed: int = 0) -> None:
    """A succeeded job of MODEL that ran ``seconds`` from its submit to its end."""
    req = GenerationRequest(task=Task.TEXT_TO_IMAGE, model=MODEL, prompt="p", seed=seed)
    job, _ = await jobs.create_job(rt.db, req, reuse=False)
    end = utcnow()
    await jobs.update_job(
        rt.db,
        job.id,
        status=JobState.SUCCEEDED.value,
        submit_started_at=end - timedelta(seconds=seconds),
        finished_at=end,
        polls=polls,
    )


async def expected(rt: Runtime, *, later: bool = True) -> latency.Expectation:
    """The expectation for the next job; ``later``: after the per-process cache expired."""
    if later:
        latency.clear_cache()
    return await latency.expected_latency(rt.db, Catalog.builtin(), MODEL, "text-to-image")


async def test_without_history_the_catalog_figure_is_used(rt: Runtime) -> None:
    assert await expected(rt) == latency.Expectation(2.0, learned=False)


async def test_learning_moves_the_expectation_to_observed_latencies(rt: Runtime) -> None:
    seen = []
    for seed in range(5):
        await finished(rt, 0.8, seed=seed)
        got = await expected(rt)
        assert got.learned and got.samples == seed + 1
        seen.append(got.seconds)
    assert seen == pytest.approx([0.8] * 5)
    for seed in range(5, 10):  # the model got slower: the median follows within a few jobs
        await finished(rt, 3.0, seed=seed)
        seen.append((await expected(rt)).seconds)
    assert seen[5:] == pytest.approx([0.8, 0.8, 0.8, 0.8, 3.0])


async def test_one_slow_job_does_not_move_it_and_a_faster_model_is_followed_at_once(
    rt: Runtime,
) -> None:
    for seed in range(4):
        await finished(rt, 1.0, seed=seed)
    await finished(rt, 30.0, seed=10)  # stuck in the provider's queue once
    assert (await expected(rt)).seconds == pytest.approx(1.0)
    await finished(rt, 0.5, seed=11)
    assert (await expected(rt)).seconds == pytest.approx(0.5)


async def test_a_job_seen_done_at_its_first_poll_only_bounds_the_latency(rt: Runtime) -> None:
    """It may have been done long before: the next job looks a little earlier."""
    await finished(rt, 2.0, polls=1)
    assert (await expected(rt)).seconds == pytest.approx(2.0 * latency.PROBE)


async def test_other_models_and_unfinished_jobs_teach_nothing(rt: Runtime) -> None:
    other = GenerationRequest(task=Task.TEXT_TO_IMAGE, model="fal:fal-ai/flux-2-pro", prompt="p")
    job, _ = await jobs.create_job(rt.db, other)
    end = utcnow()
    await jobs.update_job(
        rt.db,
        job.id,
        status=JobState.SUCCEEDED.value,
        submit_started_at=end - timedelta(seconds=9),
        finished_at=end,
    )
    running = GenerationRequest(task=Task.TEXT_TO_IMAGE, model=MODEL, prompt="q")
    job, _ = await jobs.create_job(rt.db, running)
    await jobs.update_job(rt.db, job.id, submit_started_at=end - timedelta(seconds=9))
    assert await expected(rt) == latency.Expectation(2.0, learned=False)


async def test_a_stable_figure_is_cached_for_a_while(rt: Runtime) -> None:
    """One query per job start only until there are enough samples."""
    for seed in range(latency.STABLE_SAMPLES - 1):
        await finished(rt, 1.0, seed=seed)
    assert (await expected(rt, later=False)).seconds == pytest.approx(1.0)
    await finished(rt, 0.5, seed=20)  # the first stable figure: read and cached
    assert (await expected(rt, later=False)).seconds == pytest.approx(0.5)
    await finished(rt, 0.2, seed=21)
    assert (await expected(rt, later=False)).seconds == pytest.approx(0.5)
    assert (await expected(rt)).seconds == pytest.approx(0.2)
