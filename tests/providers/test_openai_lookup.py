"""OpenAI ``find_submitted`` against the simulator: a Sora create whose answer was lost is
found in ``GET /v1/videos`` (paged with ``after``) by model, prompt, seconds and size and
adopted, never created twice; images have no lookup at all."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storyreel.errors import ProviderAPIError
from storyreel.providers.base import ProviderContext
from storyreel.providers.openai import OpenAIProvider
from storyreel.providers.types import JobState
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.vocabulary import GenerationRequest, Task
from tests.providers.lookup_support import lose_next_answer, settle, stats


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    config = SimConfig(latency=0.2, video_latency=0.3)
    async with serve_simulators(config, providers=["openai"], files_dir=tmp_path / "f") as s:
        yield s


@pytest.fixture
def provider(suite: SimulatorSuite, tmp_path: Path) -> OpenAIProvider:
    return OpenAIProvider(
        ProviderContext(
            settings=suite.provider_settings("openai"),
            assets=AssetStore(tmp_path / "assets"),
            scratch_dir=tmp_path / "s",
        )
    )


def video(**fields: Any) -> GenerationRequest:
    base = {
        "task": Task.TEXT_TO_VIDEO,
        "model": "openai:sora-2",
        "prompt": "a lighthouse at dusk, waves rolling in",
        "duration": 4,
    }
    return GenerationRequest.model_validate(base | fields)


async def test_a_lost_video_create_is_found_and_adopted_not_repeated(
    suite: SimulatorSuite, provider: OpenAIProvider
) -> None:
    req = video()
    assert provider.can_find_submitted(req)
    since = time.time()
    await lose_next_answer(suite, "openai")
    with pytest.raises(ProviderAPIError):
        await provider.submit(req, job_id="job-a", webhook_url=None)

    handle = await provider.find_submitted(req, job_id="job-a", since=since)

    assert handle is not None
    assert handle.request_id in suite["openai"].jobs
    assert await settle(provider, handle) is JobState.SUCCEEDED
    counters = await stats(suite, "openai")
    assert counters["submissions"] == 1
    assert counters["answers_lost"] == 1


async def test_nothing_is_found_for_a_video_never_created(
    suite: SimulatorSuite, provider: OpenAIProvider
) -> None:
    assert provider.can_find_submitted(video())  # None below means "not taken", not "cannot tell"
    since = time.time() - 1
    await provider.submit(video(prompt="another shot"), job_id="other", webhook_url=None)
    await provider.submit(video(duration=8), job_id="longer", webhook_url=None)
    assert await provider.find_submitted(video(), job_id="job-a", since=since) is None


async def test_another_jobs_identical_video_before_the_attempt_is_not_adopted(
    suite: SimulatorSuite, provider: OpenAIProvider
) -> None:
    await lose_next_answer(suite, "openai")
    with pytest.raises(ProviderAPIError):
        await provider.submit(video(), job_id="job-a", webhook_url=None)
    later = time.time() + 30  # job-b's attempt started after job-a's video was created
    assert await provider.find_submitted(video(), job_id="job-b", since=later) is None


async def test_the_list_is_paged_with_after(
    suite: SimulatorSuite, provider: OpenAIProvider
) -> None:
    since = time.time() - 1
    await provider.submit(video(), job_id="job-a", webhook_url=None)
    for index in range(105):
        await provider.submit(video(prompt=f"shot {index}"), job_id=f"j{index}", webhook_url=None)
    assert await provider.find_submitted(video(), job_id="job-a", since=since) is not None
    lists = [r for r in suite["openai"].requests if r["path"].endswith("/v1/videos")]
    assert len(lists) >= 2  # 106 videos, 100 a page: the second page was read


def test_image_generation_has_no_lookup(provider: OpenAIProvider) -> None:
    req = GenerationRequest(task=Task.TEXT_TO_IMAGE, model="openai:gpt-image-1", prompt="x")
    assert not provider.can_find_submitted(req)
