"""The OpenAI adapter against its simulator, without the engine: request mapping (sizes,
quality, ``image[]`` parts, Sora's string seconds and fitted reference), the error mapping
(moderation -> safety, quota vs rate limit, bad input), and Sora's poll/result/cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
from PIL import Image

from storyreel.errors import (
    FailureReason,
    InputError,
    ProviderAPIError,
    ProviderJobError,
    QuotaError,
)
from storyreel.media.images import image_to_png
from storyreel.media.probe import probe_video
from storyreel.providers.base import ProviderContext
from storyreel.providers.openai import OpenAIProvider, image_size, video_seconds, video_size
from storyreel.providers.openai_errors import parse_reset
from storyreel.providers.registry import load_registry
from storyreel.providers.types import Handle, JobState, Status
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.testing.simulators.openai import OpenAISimulator
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    async with serve_simulators(
        SimConfig(latency=0.1, video_latency=0.4), providers=["openai"], files_dir=tmp_path / "sim"
    ) as sims:
        yield sims


@pytest.fixture
def sim(suite: SimulatorSuite) -> OpenAISimulator:
    sim = suite["openai"]
    assert isinstance(sim, OpenAISimulator)
    return sim


def make_provider(tmp_path: Path, suite: SimulatorSuite, key: str = "sim-key") -> OpenAIProvider:
    settings = suite.provider_settings("openai", api_key=key)
    ctx = ProviderContext(settings, AssetStore(tmp_path / "assets"), tmp_path / "scratch")
    return OpenAIProvider(ctx)


@pytest.fixture
async def provider(tmp_path: Path, suite: SimulatorSuite) -> AsyncIterator[OpenAIProvider]:
    provider = make_provider(tmp_path, suite)
    yield provider
    await provider.aclose()


def ref(provider: OpenAIProvider, role: RefRole, size: tuple[int, int] = (256, 256)) -> Reference:
    sha, _ = provider.ctx.assets.put(image_to_png(Image.new("RGB", size, "orange")), "image/png")
    return Reference(role=role, asset=sha, mime="image/png")


def request(**fields: object) -> GenerationRequest:
    base: dict[str, object] = {
        "task": Task.TEXT_TO_IMAGE,
        "model": "openai:gpt-image-1.5",
        "prompt": "a lighthouse at dusk",
    }
    return GenerationRequest.model_validate(base | fields)


async def until_done(provider: OpenAIProvider, handle: Handle) -> list[Status]:
    seen = []
    for _ in range(400):
        status = await provider.poll(handle)
        seen.append(status)
        if status.state.terminal:
            return seen
        await asyncio.sleep(0.02)
    raise AssertionError("the job never finished")


# -- pure mapping ----------------------------------------------------------------------


def test_image_sizes_snap_to_the_nearest_allowed_one() -> None:
    assert image_size(request(width=1920, height=1080)) == "1536x1024"
    assert image_size(request(width=600, height=1000)) == "1024x1536"
    assert image_size(request(aspect="1:1")) == "1024x1024"
    assert image_size(request()) == "1024x1024"
    assert image_size(request(extra={"size": "auto"})) == "auto"


def test_sora_sizes_and_seconds() -> None:
    video = {"task": Task.TEXT_TO_VIDEO, "model": "openai:sora-2"}
    assert video_size(request(**video), "sora-2") == "1280x720"
    assert video_size(request(**video, aspect="9:16"), "sora-2") == "720x1280"
    pro = request(**video | {"model": "openai:sora-2-pro"}, aspect="16:9", resolution="1024p")
    assert video_size(pro, "sora-2-pro") == "1792x1024"
    assert video_seconds(request(**video)) == "4"
    assert video_seconds(request(**video, duration=7)) == "8"
    assert video_seconds(request(**video, duration=30)) == "12"


def test_rate_limit_reset_durations() -> None:
    assert parse_reset("20ms") == pytest.approx(0.02)
    assert parse_reset("6m0s") == pytest.approx(360)
    assert parse_reset("1.5s") == pytest.approx(1.5)
    assert parse_reset("soon") is None


def test_a_429_waits_for_the_limit_that_was_hit(provider: OpenAIProvider) -> None:
    headers = {"x-ratelimit-reset-requests": "120ms", "x-ratelimit-reset-tokens": "6m0s"}

    def wait(error: dict[str, object]) -> float | None:
        response = httpx2.Response(429, json={"error": error}, headers=headers)
        return provider.error_from_response(response).retry_after

    assert wait({"type": "tokens", "code": "rate_limit_exceeded"}) == pytest.approx(360)
    assert wait({"type": "requests", "code": "rate_limit_exceeded"}) == pytest.approx(0.12)
    assert wait({"message": "Please try again in 1.5s.", "code": None}) == pytest.approx(1.5)
    quota = provider.error_from_response(
        httpx2.Response(429, json={"error": {"type": "insufficient_quota", "code": None}})
    )
    assert isinstance(quota, QuotaError) and not quota.retryable


def test_registered_and_the_sdk_is_not_shadowed() -> None:
    import openai

    assert load_registry().get("openai") is OpenAIProvider
    assert hasattr(openai, "OpenAI") and hasattr(openai, "RateLimitError")


def test_check_refuses_before_paying(provider: OpenAIProvider) -> None:
    with pytest.raises(InputError, match="at most 10"):
        provider.check(request(count=11))
    with pytest.raises(InputError, match="video model"):
        provider.check(request(model="openai:sora-2"))
    with pytest.raises(InputError, match="renders only"):
        provider.check(
            request(task=Task.TEXT_TO_VIDEO, model="openai:sora-2", extra={"size": "1792x1024"})
        )
    with pytest.raises(InputError, match="quality"):
        provider.check(request(extra={"quality": "ultra"}))
    with pytest.raises(InputError, match="needs at least one"):
        provider.check(request(task=Task.REFERENCE_TO_IMAGE))


# -- images ----------------------------------------------------------------------------


async def test_generation_defaults_to_low_quality_and_keeps_usage(
    provider: OpenAIProvider, sim: OpenAISimulator
) -> None:
    req = request(count=2, width=1536, height=1024)
    provider.check(req)
    handle = await provider.submit(req, job_id="job1", webhook_url=None)
    body = sim.requests[-1]["body"]
    assert body == {
        "model": "gpt-image-1.5",
        "prompt": "a lighthouse at dusk",
        "n": 2,
        "size": "1536x1024",
        "quality": "low",
        "output_format": "png",
    }
    assert handle.request_id.startswith("req_")
    polled = await provider.poll(handle)
    assert polled.state is JobState.SUCCEEDED and polled.usage is not None
    text_tokens = 5  # 4 prompt words x 4 // 3
    assert (polled.usage.input_tokens, polled.usage.output_tokens) == (text_tokens, 800)
    assert polled.usage.count == 2
    artifacts = await provider.result(handle)
    assert len(artifacts) == 2
    for artifact in artifacts:
        assert artifact.path is not None and artifact.path.read_bytes()[:4] == b"\x89PNG"


async def test_edits_send_one_image_part_per_reference_and_the_mask(
    provider: OpenAIProvider, sim: OpenAISimulator
) -> None:
    refs = (
        ref(provider, RefRole.INIT_IMAGE),
        ref(provider, RefRole.CHARACTER, (300, 200)),
        ref(provider, RefRole.MASK),
    )
    req = request(task=Task.INPAINT, references=refs, extra={"output_format": "webp"})
    provider.check(req)
    handle = await provider.submit(req, job_id="job2", webhook_url=None)
    job = next(j for j in sim.jobs.values() if j.body.get("images"))
    assert job.body["images"] == 2 and job.body["mask"] is True
    [artifact] = await provider.result(handle)
    assert artifact.mime == "image/webp"
    assert artifact.path is not None and artifact.path.read_bytes()[8:12] == b"WEBP"


async def test_a_mask_of_another_size_is_the_providers_400(provider: OpenAIProvider) -> None:
    refs = (ref(provider, RefRole.INIT_IMAGE), ref(provider, RefRole.MASK, (128, 128)))
    with pytest.raises(ProviderAPIError, match=r"param: mask") as caught:
        await provider.submit(
            request(task=Task.INPAINT, references=refs), job_id="j", webhook_url=None
        )
    assert caught.value.status == 400 and not caught.value.retryable
    assert caught.value.reason is FailureReason.INPUT and not caught.value.reason.fails_over


async def test_a_size_the_model_does_not_render_is_refused_with_param_size(
    provider: OpenAIProvider,
) -> None:
    with pytest.raises(ProviderAPIError, match=r"param: size") as caught:
        await provider.submit(request(extra={"size": "512x512"}), job_id="j", webhook_url=None)
    assert caught.value.status == 400 and not caught.value.retryable


async def test_moderation_is_a_job_failure_with_reason_safety(provider: OpenAIProvider) -> None:
    with pytest.raises(ProviderJobError) as caught:
        await provider.submit(request(prompt="BLOCKME please"), job_id="j", webhook_url=None)
    assert (caught.value.reason, caught.value.code) == (FailureReason.SAFETY, "moderation_blocked")
    assert "moderation_blocked" in caught.value.message


async def test_rate_limits_retry_but_an_empty_quota_does_not(
    provider: OpenAIProvider, sim: OpenAISimulator
) -> None:
    sim.burst_429 = 1
    with pytest.raises(ProviderAPIError) as limited:
        await provider.submit(request(), job_id="j", webhook_url=None)
    assert limited.value.retryable and limited.value.retry_after == pytest.approx(0.02)
    assert limited.value.reason is FailureReason.RATE_LIMITED
    sim.quota_exhausted = True
    with pytest.raises(QuotaError) as broke:
        await provider.submit(request(), job_id="j", webhook_url=None)
    assert not broke.value.retryable and "quota" in broke.value.message
    assert (broke.value.reason, broke.value.code) == (FailureReason.QUOTA, "insufficient_quota")
    assert sum(sim.submissions.values()) == 0


async def test_a_wrong_key_is_final(tmp_path: Path, suite: SimulatorSuite) -> None:
    provider = make_provider(tmp_path, suite, key="sk-wrong-key")
    with pytest.raises(ProviderAPIError, match="Incorrect API key") as caught:
        await provider.submit(request(), job_id="j", webhook_url=None)
    assert caught.value.status == 401 and not caught.value.retryable
    assert caught.value.reason is FailureReason.AUTH
    await provider.aclose()


# -- Sora ------------------------------------------------------------------------------


async def test_sora_image_to_video_polls_and_downloads_with_the_key(
    provider: OpenAIProvider, sim: OpenAISimulator
) -> None:
    req = request(
        task=Task.IMAGE_TO_VIDEO,
        model="openai:sora-2",
        aspect="16:9",
        duration=8,
        references=(ref(provider, RefRole.FIRST_FRAME),),  # 256x256: fitted to 1280x720
    )
    provider.check(req)
    handle = await provider.submit(req, job_id="v1", webhook_url=None)
    assert handle.request_id.startswith("video_")
    assert sim.jobs[handle.request_id].body["seconds"] == "8"
    seen = await until_done(provider, handle)
    assert seen[-1].state is JobState.SUCCEEDED and seen[-1].progress == 1.0
    [artifact] = await provider.result(handle)
    assert artifact.path is not None and artifact.mime == "video/mp4"
    video = probe_video(artifact.path)
    assert video.frames > 0 and (video.width, video.height) == (512, 288)


async def test_sora_text_to_video_sends_json_and_cancel_deletes(
    provider: OpenAIProvider, sim: OpenAISimulator
) -> None:
    req = request(task=Task.TEXT_TO_VIDEO, model="openai:sora-2-pro", aspect="9:16")
    handle = await provider.submit(req, job_id="v2", webhook_url=None)
    assert sim.requests[-1]["body"] == {
        "model": "sora-2-pro",
        "prompt": "a lighthouse at dusk",
        "seconds": "4",
        "size": "720x1280",
    }
    assert (await provider.poll(handle)).state in (JobState.QUEUED, JobState.RUNNING)
    await provider.cancel(handle)
    with pytest.raises(ProviderAPIError) as gone:
        await provider.poll(handle)
    assert gone.value.status == 404
    await provider.cancel(handle)  # a second cancel is harmless


async def test_a_moderated_video_fails_with_reason_safety(provider: OpenAIProvider) -> None:
    req = request(task=Task.TEXT_TO_VIDEO, model="openai:sora-2", prompt="BLOCKME now")
    handle = await provider.submit(req, job_id="v3", webhook_url=None)
    final = (await until_done(provider, handle))[-1]
    assert final.state is JobState.FAILED
    assert (final.error_reason, final.error_code) == (FailureReason.SAFETY, "moderation_blocked")
    assert "moderation" in final.message


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("moderation_blocked", FailureReason.SAFETY),
        ("content_policy_violation", FailureReason.SAFETY),
        ("video_generation_failed", FailureReason.MODEL_FAILED),
        ("server_error", FailureReason.PROVIDER_DOWN),
    ],
)
async def test_a_failed_video_maps_its_code(
    provider: OpenAIProvider, sim: OpenAISimulator, code: str, reason: FailureReason
) -> None:
    sim.config.fail_rate, sim.fail_code = 1.0, code
    req = request(task=Task.TEXT_TO_VIDEO, model="openai:sora-2", prompt="a harbour")
    handle = await provider.submit(req, job_id="v4", webhook_url=None)
    final = (await until_done(provider, handle))[-1]
    assert (final.state, final.error_reason, final.error_code) == (JobState.FAILED, reason, code)


async def test_a_finished_video_reports_the_seconds_rendered(
    provider: OpenAIProvider, sim: OpenAISimulator
) -> None:
    sim.usage = {"seconds": "12"}  # asked for 4; OpenAI reports what it rendered
    req = request(task=Task.TEXT_TO_VIDEO, model="openai:sora-2", prompt="a harbour")
    handle = await provider.submit(req, job_id="v5", webhook_url=None)
    final = (await until_done(provider, handle))[-1]
    assert final.state is JobState.SUCCEEDED and final.usage is not None
    assert (final.usage.seconds, final.usage.width, final.usage.height) == (12.0, 1280, 720)


@pytest.mark.parametrize(
    ("status", "code", "error_type", "reason"),
    [
        (400, "moderation_blocked", "invalid_request_error", FailureReason.SAFETY),
        (400, "invalid_value", "invalid_request_error", FailureReason.INPUT),
        (401, "invalid_api_key", "invalid_request_error", FailureReason.AUTH),
        (429, "rate_limit_exceeded", "requests", FailureReason.RATE_LIMITED),
        (429, "insufficient_quota", "insufficient_quota", FailureReason.QUOTA),
        (500, None, "server_error", FailureReason.PROVIDER_DOWN),
    ],
)
def test_error_bodies_map_to_reasons(
    provider: OpenAIProvider, status: int, code: str | None, error_type: str, reason: FailureReason
) -> None:
    body = {"error": {"message": "m", "type": error_type, "param": None, "code": code}}
    error = provider.error_from_response(httpx2.Response(status, json=body))
    assert (error.reason, error.code) == (reason, code)
