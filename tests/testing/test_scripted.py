"""The scripted provider does what its request says: states one per poll (the last one
repeats), retryable poll errors first, submit failures of each kind a given number of
times, usage only on a terminal poll, and every accepted submit counted once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storyreel.config import ProviderSettings
from storyreel.errors import FailureReason, ProviderAPIError, ProviderJobError, QuotaError
from storyreel.providers.base import ProviderContext
from storyreel.providers.types import JobState
from storyreel.store.assets import AssetStore
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[ScriptedProvider]:
    ScriptedProvider.reset()
    yield ScriptedProvider(
        ProviderContext(
            settings=ProviderSettings(),
            assets=AssetStore(tmp_path / "assets"),
            scratch_dir=tmp_path / "scratch",
        )
    )
    ScriptedProvider.reset()


def req(**script: Any) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="scripted:any", prompt="x", extra=script
    )


def states(provider: ScriptedProvider, request: GenerationRequest, polls: int) -> list[str]:
    async def go() -> list[str]:
        handle = await provider.submit(request, job_id="j1", webhook_url=None)
        seen = []
        for _ in range(polls):
            try:
                seen.append(str((await provider.poll(handle)).state))
            except ProviderAPIError as exc:
                assert exc.retryable and exc.status == 503
                seen.append("503")
        return seen

    return asyncio.run(go())


def test_states_one_per_poll_and_the_last_repeats(provider: ScriptedProvider) -> None:
    seen = states(provider, req(polls=["running", "succeeded"], poll_errors=2), 5)
    assert seen == ["503", "503", "running", "succeeded", "succeeded"]
    assert ScriptedProvider.submissions == {"j1": 1}


def test_a_failed_poll_says_why_and_usage_comes_only_at_the_end(
    provider: ScriptedProvider,
) -> None:
    request = req(
        polls=["running", "failed"],
        fail_reason="safety",
        fail_code="nsfw",
        usage={"gpu_seconds": 3.5},
    )

    async def go() -> None:
        handle = await provider.submit(request, job_id="j2", webhook_url=None)
        running = await provider.poll(handle)
        assert running.state is JobState.RUNNING and running.usage is None
        failed = await provider.poll(handle)
        assert (failed.state, failed.error_reason, failed.error_code) == (
            JobState.FAILED,
            FailureReason.SAFETY,
            "nsfw",
        )
        assert failed.usage is not None and failed.usage.gpu_seconds == 3.5
        (artifact,) = await provider.result(handle)
        assert artifact.path is not None and Path(artifact.path).is_file()

    asyncio.run(go())


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ({"kind": "api", "status": 429, "times": 2}, ProviderAPIError),
        ({"kind": "quota"}, QuotaError),
        ({"kind": "job", "reason": "input", "code": "bad"}, ProviderJobError),
    ],
)
def test_submit_errors_happen_the_given_number_of_times(
    provider: ScriptedProvider, spec: dict[str, Any], error: type[Exception]
) -> None:
    request = req(submit_error=spec)

    async def go() -> None:
        for _ in range(int(spec.get("times", 1))):
            with pytest.raises(error):
                await provider.submit(request, job_id="j3", webhook_url=None)
        assert ScriptedProvider.submissions["j3"] == 0  # a refused submit is not paid
        await provider.submit(request, job_id="j3", webhook_url=None)
        assert ScriptedProvider.submissions["j3"] == 1

    asyncio.run(go())
