"""fal ``find_submitted`` against the simulator: a queue submit whose answer was lost is
found in the Platform API's request history by its exact input and adopted, never
submitted twice; nothing is found for a request never sent, another input, another
endpoint, or before the attempt's window."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storyreel.errors import ProviderAPIError
from storyreel.providers.base import ProviderContext
from storyreel.providers.fal import FalProvider
from storyreel.providers.types import JobState
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.vocabulary import GenerationRequest, Task
from tests.providers.lookup_support import lose_next_answer, settle, stats


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    config = SimConfig(latency=0.2, video_latency=0.3)
    async with serve_simulators(config, providers=["fal"], files_dir=tmp_path / "f") as s:
        yield s


@pytest.fixture
def provider(suite: SimulatorSuite, tmp_path: Path) -> FalProvider:
    return FalProvider(
        ProviderContext(
            settings=suite.provider_settings("fal"),
            assets=AssetStore(tmp_path / "assets"),
            scratch_dir=tmp_path / "s",
        )
    )


def request(**fields: Any) -> GenerationRequest:
    base = {
        "task": Task.TEXT_TO_IMAGE,
        "model": "fal:fal-ai/flux-2/turbo",
        "prompt": "a lighthouse at dusk",
        "seed": 7,
    }
    return GenerationRequest.model_validate(base | fields)


async def test_a_lost_submit_is_found_in_the_request_history_and_adopted(
    suite: SimulatorSuite, provider: FalProvider
) -> None:
    req = request()
    assert provider.can_find_submitted(req)
    since = time.time()
    await lose_next_answer(suite, "fal")
    with pytest.raises(ProviderAPIError):
        await provider.submit(req, job_id="job-a", webhook_url=None)

    handle = await provider.find_submitted(req, job_id="job-a", since=since)

    assert handle is not None
    assert handle.request_id in suite["fal"].jobs
    assert await settle(provider, handle) is JobState.SUCCEEDED
    assert await provider.result(handle)
    counters = await stats(suite, "fal")
    assert counters["submissions"] == 1
    assert counters["answers_lost"] == 1


async def test_nothing_is_found_for_a_request_never_submitted(
    suite: SimulatorSuite, provider: FalProvider
) -> None:
    assert provider.can_find_submitted(request())  # None below means "not taken", not "cannot tell"
    since = time.time() - 1
    await provider.submit(request(prompt="another shot"), job_id="other", webhook_url=None)
    await provider.submit(request(model="fal:fal-ai/flux-2/flash"), job_id="x", webhook_url=None)
    assert await provider.find_submitted(request(), job_id="job-a", since=since) is None


async def test_another_jobs_identical_request_before_the_attempt_is_not_adopted(
    suite: SimulatorSuite, provider: FalProvider
) -> None:
    await lose_next_answer(suite, "fal")
    with pytest.raises(ProviderAPIError):
        await provider.submit(request(), job_id="job-a", webhook_url=None)
    later = time.time() + 30  # job-b's own attempt started after job-a's request was sent
    assert await provider.find_submitted(request(), job_id="job-b", since=later) is None


async def test_the_history_pages_until_it_finds_the_request(
    suite: SimulatorSuite, provider: FalProvider
) -> None:
    since = time.time()
    await lose_next_answer(suite, "fal")
    with pytest.raises(ProviderAPIError):
        await provider.submit(request(), job_id="job-a", webhook_url=None)
    for index in range(120):  # later requests of other shots, listed ahead of ours
        await provider.submit(request(prompt=f"shot {index}"), job_id=f"j{index}", webhook_url=None)
    handle = await provider.find_submitted(request(), job_id="job-a", since=since)
    assert handle is not None
    lists = [r for r in suite["fal"].requests if r["path"].endswith("/by-endpoint")]
    assert len(lists) >= 2
