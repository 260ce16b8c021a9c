"""The fal adapter's failure mapping and usage against its simulator: 422 validation answers
are INPUT (final, never failed over), ``error_type`` codes of finished requests map to
their reasons, and ``metrics.inference_time`` is reported as GPU seconds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from storyreel.errors import FailureReason, ProviderAPIError
from storyreel.providers.base import ProviderContext
from storyreel.providers.fal import FalProvider
from storyreel.providers.types import Handle, JobState, Status
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.testing.simulators.fal import FalSimulator
from storyreel.vocabulary import GenerationRequest, Task

T2I = "fal:fal-ai/flux/schnell"


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    async with serve_simulators(
        SimConfig(latency=0.2, video_latency=0.4), providers=["fal"], files_dir=tmp_path / "sim"
    ) as sims:
        yield sims


@pytest.fixture
def sim(suite: SimulatorSuite) -> FalSimulator:
    sim = suite["fal"]
    assert isinstance(sim, FalSimulator)
    return sim


@pytest.fixture
async def provider(suite: SimulatorSuite, tmp_path: Path) -> AsyncIterator[FalProvider]:
    settings = suite.provider_settings("fal")
    provider = FalProvider(
        ProviderContext(settings, AssetStore(tmp_path / "assets"), tmp_path / "scratch")
    )
    yield provider
    await provider.aclose()


async def until_done(provider: FalProvider, handle: Handle) -> Status:
    for _ in range(400):
        status = await provider.poll(handle)
        if status.state.terminal:
            return status
        await asyncio.sleep(0.02)
    raise AssertionError("the request never finished")


async def test_a_422_on_submit_is_input_and_final(provider: FalProvider, sim: FalSimulator) -> None:
    """flux-2-pro/edit without ``image_urls``: fal's validation answer."""
    req = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="fal:fal-ai/flux-2-pro/edit", prompt="a fox"
    )
    with pytest.raises(ProviderAPIError, match="image_urls: field required") as caught:
        await provider.submit(req, job_id="j", webhook_url=None)
    error = caught.value
    assert (error.status, error.reason, error.code) == (
        422,
        FailureReason.INPUT,
        "value_error.missing",
    )
    assert not error.retryable and not error.reason.fails_over
    assert sum(sim.submissions.values()) == 0


#: ``error_type`` of a COMPLETED request that failed -> reason.
ERROR_TYPES = [
    ("request_timeout", FailureReason.TIMEOUT),
    ("startup_timeout", FailureReason.TIMEOUT),
    ("runner_disconnected", FailureReason.PROVIDER_DOWN),
    ("runner_scheduling_failure", FailureReason.PROVIDER_DOWN),
    ("runner_connection_refused", FailureReason.PROVIDER_DOWN),
    ("content_policy_violation", FailureReason.SAFETY),
    ("no_media_generated", FailureReason.MODEL_FAILED),
    ("internal_server_error", FailureReason.PROVIDER_DOWN),
]


@pytest.mark.parametrize(("error_type", "reason"), ERROR_TYPES)
async def test_a_failed_request_maps_its_error_type(
    provider: FalProvider, sim: FalSimulator, error_type: str, reason: FailureReason
) -> None:
    sim.config.fail_rate, sim.fail_code = 1.0, error_type
    req = GenerationRequest(task=Task.TEXT_TO_IMAGE, model=T2I, prompt="a fox")
    handle = await provider.submit(req, job_id="j", webhook_url=None)
    final = await until_done(provider, handle)
    assert (final.state, final.error_reason, final.error_code) == (
        JobState.FAILED,
        reason,
        error_type,
    )
    assert error_type in final.message


async def test_a_cancelled_request_is_canceled(provider: FalProvider, sim: FalSimulator) -> None:
    sim.config.latency = 5.0
    req = GenerationRequest(task=Task.TEXT_TO_IMAGE, model=T2I, prompt="a fox")
    handle = await provider.submit(req, job_id="j", webhook_url=None)
    await provider.cancel(handle)
    final = await until_done(provider, handle)
    assert final.state is JobState.CANCELED
    assert (final.error_reason, final.error_code) == (FailureReason.CANCELED, "request_cancelled")


@pytest.mark.parametrize(
    ("status", "body", "headers", "reason", "code"),
    [
        (
            422,
            {"detail": [{"loc": ["body"], "msg": "flagged", "type": "content_policy_violation"}]},
            {},
            FailureReason.SAFETY,
            "content_policy_violation",
        ),
        (
            504,
            {"detail": "timed out", "error_type": "startup_timeout"},
            {},
            FailureReason.TIMEOUT,
            "startup_timeout",
        ),
        (
            503,
            {"detail": "no runner"},
            {"x-fal-error-type": "runner_scheduling_failure"},
            FailureReason.PROVIDER_DOWN,
            "runner_scheduling_failure",
        ),
        (401, {"detail": "bad key"}, {}, FailureReason.AUTH, None),
        (429, {"detail": "slow down"}, {}, FailureReason.RATE_LIMITED, None),
    ],
)
def test_error_answers_map_to_reasons(
    provider: FalProvider,
    status: int,
    body: dict[str, object],
    headers: dict[str, str],
    reason: FailureReason,
    code: str | None,
) -> None:
    error = provider.error_from_response(httpx2.Response(status, json=body, headers=headers))
    assert (error.reason, error.code) == (reason, code)


@pytest.mark.parametrize("fails", [False, True])
async def test_a_finished_request_reports_inference_time(
    provider: FalProvider, sim: FalSimulator, fails: bool
) -> None:
    sim.usage = {"inference_time": 3.41}
    sim.config.fail_rate = 1.0 if fails else 0.0
    req = GenerationRequest(task=Task.TEXT_TO_IMAGE, model=T2I, prompt="a fox")
    handle = await provider.submit(req, job_id="j", webhook_url=None)
    final = await until_done(provider, handle)
    assert final.state is (JobState.FAILED if fails else JobState.SUCCEEDED)
    assert final.usage is not None and final.usage.gpu_seconds == 3.41
