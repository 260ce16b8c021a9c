"""Replicate ``find_submitted`` against the simulator: a create whose answer was lost is
found in ``GET /v1/predictions`` and adopted, never submitted twice; nothing is found for
a request never sent, for another input, or before the attempt's window."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storyreel.config import ProviderSettings
from storyreel.errors import ProviderAPIError
from storyreel.providers.base import ProviderContext
from storyreel.providers.replicate import ReplicateProvider
from storyreel.providers.types import JobState
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.vocabulary import GenerationRequest, Task
from tests.providers.lookup_support import lose_next_answer, settle, stats


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    config = SimConfig(latency=0.2, video_latency=0.3)
    async with serve_simulators(config, providers=["replicate"], files_dir=tmp_path / "f") as s:
        yield s


@pytest.fixture
def provider(suite: SimulatorSuite, tmp_path: Path) -> ReplicateProvider:
    settings = ProviderSettings(
        base_url=suite["replicate"].mount_url(), api_key="sim-key", options={"prefer_wait": "0"}
    )
    return ReplicateProvider(
        ProviderContext(
            settings=settings, assets=AssetStore(tmp_path / "assets"), scratch_dir=tmp_path / "s"
        )
    )


def request(**fields: Any) -> GenerationRequest:
    base = {
        "task": Task.TEXT_TO_IMAGE,
        "model": "replicate:black-forest-labs/flux-schnell",
        "prompt": "a lighthouse at dusk",
        "seed": 7,
    }
    return GenerationRequest.model_validate(base | fields)


async def test_a_lost_create_is_found_and_adopted_not_repeated(
    suite: SimulatorSuite, provider: ReplicateProvider
) -> None:
    req = request()
    assert provider.can_find_submitted(req)
    since = time.time()
    await lose_next_answer(suite, "replicate")
    with pytest.raises(ProviderAPIError):
        await provider.submit(req, job_id="job-a", webhook_url=None)
    assert (await stats(suite, "replicate"))["submissions"] == 1

    handle = await provider.find_submitted(req, job_id="job-a", since=since)

    assert handle is not None
    assert handle.request_id in suite["replicate"].jobs
    assert await settle(provider, handle) is JobState.SUCCEEDED
    assert await provider.result(handle)
    counters = await stats(suite, "replicate")
    assert counters["submissions"] == 1
    assert counters["answers_lost"] == 1


async def test_nothing_is_found_for_a_request_never_submitted(
    suite: SimulatorSuite, provider: ReplicateProvider
) -> None:
    assert provider.can_find_submitted(request())  # None below means "not taken", not "cannot tell"
    await provider.submit(request(prompt="something else"), job_id="other", webhook_url=None)
    assert await provider.find_submitted(request(), job_id="job-a", since=time.time() - 1) is None


async def test_another_jobs_identical_request_before_the_attempt_is_not_adopted(
    suite: SimulatorSuite, provider: ReplicateProvider
) -> None:
    await lose_next_answer(suite, "replicate")
    with pytest.raises(ProviderAPIError):
        await provider.submit(request(), job_id="job-a", webhook_url=None)
    # job-b's own attempt started later: job-a's prediction is outside its window.
    later = time.time() + 30
    assert await provider.find_submitted(request(), job_id="job-b", since=later) is None


async def test_a_prediction_naming_another_job_in_its_webhook_is_not_adopted(
    suite: SimulatorSuite, provider: ReplicateProvider
) -> None:
    # Where Replicate echoes the webhook (unconfirmed; the simulator does not by default),
    # the job id in it decides between two identical inputs.
    suite["replicate"].echo_webhook = True  # type: ignore[attr-defined]
    since = time.time()
    hook = "https://story.example/webhooks/replicate/{}/tok"
    await provider.submit(request(), job_id="job-a", webhook_url=hook.format("job-a"))
    assert await provider.find_submitted(request(), job_id="job-b", since=since) is None
    found = await provider.find_submitted(request(), job_id="job-a", since=since)
    assert found is not None
