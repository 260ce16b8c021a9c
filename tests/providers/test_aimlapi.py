"""The AIML API adapter against its simulator: chat written to a text file, synchronous
images (URLs and b64_json), video by ``generation_id`` with colons, inline data-URI
references, and AIML's error statuses (400 validation, 401, 403 out of credits, 429)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from storyreel.errors import FailureReason, InputError, ProviderAPIError, QuotaError
from storyreel.media.images import image_to_png
from storyreel.providers.aimlapi import AimlApiProvider
from storyreel.providers.aimlapi_models import video_state
from storyreel.providers.base import ProviderContext
from storyreel.providers.types import Handle, JobState, Status
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.testing.simulators.aimlapi import AimlApiSimulator
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    config = SimConfig(latency=0.1, video_latency=0.3)
    async with serve_simulators(config, providers=["aimlapi"], files_dir=tmp_path / "f") as sims:
        yield sims


@pytest.fixture
def sim(suite: SimulatorSuite) -> AimlApiSimulator:
    sim = suite["aimlapi"]
    assert isinstance(sim, AimlApiSimulator)
    return sim


def make_provider(suite: SimulatorSuite, tmp_path: Path, key: str = "sim-key") -> AimlApiProvider:
    settings = suite.provider_settings("aimlapi", api_key=key)
    ctx = ProviderContext(
        settings=settings, assets=AssetStore(tmp_path / "assets"), scratch_dir=tmp_path / "scratch"
    )
    return AimlApiProvider(ctx)


@pytest.fixture
async def provider(suite: SimulatorSuite, tmp_path: Path) -> AsyncIterator[AimlApiProvider]:
    p = make_provider(suite, tmp_path)
    yield p
    await p.aclose()


def request(model: str, task: Task = Task.TEXT_TO_IMAGE, **fields: Any) -> GenerationRequest:
    return GenerationRequest(task=task, model=f"aimlapi:{model}", prompt="a lighthouse", **fields)


def reference(provider: AimlApiProvider, role: RefRole = RefRole.CHARACTER) -> Reference:
    png = image_to_png(Image.new("RGB", (64, 64), "orange"))
    sha, _ = provider.ctx.assets.put(png, "image/png")
    return Reference(role=role, asset=sha)


def last_body(sim: AimlApiSimulator, path: str) -> dict[str, Any]:
    for entry in reversed(sim.requests):
        if entry["path"].endswith(path) and entry["method"] == "POST":
            body: dict[str, Any] = entry["body"]
            return body
    raise AssertionError(f"no request to {path}")


async def until_done(provider: AimlApiProvider, handle: Handle) -> list[Status]:
    seen = []
    for _ in range(200):
        status = await provider.poll(handle)
        seen.append(status)
        if status.state.terminal:
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError("job never finished")


async def test_chat_answer_lands_in_a_text_file(
    provider: AimlApiProvider, sim: AimlApiSimulator
) -> None:
    req = GenerationRequest(
        task=Task.CHAT,
        model="aimlapi:gpt-4o",
        prompt="Write a video prompt",
        extra={"system": "Be brief"},
    )
    handle = await provider.submit(req, job_id="chat-1", webhook_url=None)
    body = last_body(sim, "/v1/chat/completions")
    assert body == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief"},
            {"role": "user", "content": "Write a video prompt"},
        ],
    }
    assert handle.request_id.startswith("chatcmpl-") and handle.data["usage"]["total_tokens"] > 0
    polled = await provider.poll(handle)
    assert polled.state is JobState.SUCCEEDED and polled.usage is not None
    usage = handle.data["usage"]
    assert (polled.usage.input_tokens, polled.usage.output_tokens) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )
    [artifact] = await provider.result(handle)
    assert artifact.mime == "text/plain" and artifact.path is not None
    assert "Write a video prompt" in artifact.path.read_text()
    with pytest.raises(InputError, match="no reference"):
        provider.check(
            GenerationRequest(
                task=Task.CHAT, model="aimlapi:gpt-4o", references=(reference(provider),)
            )
        )


async def test_nano_banana_pro_is_synchronous(
    provider: AimlApiProvider, sim: AimlApiSimulator
) -> None:
    req = request("google/nano-banana-pro", aspect="9:16", resolution="2k", count=2)
    handle = await provider.submit(req, job_id="img-1", webhook_url=None)
    body = last_body(sim, "/v1/images/generations")
    assert body == {
        "model": "google/nano-banana-pro",
        "prompt": "a lighthouse",
        "num_images": 2,
        "aspect_ratio": "9:16",
        "resolution": "2K",
    }
    assert handle.data["credits_used"] == 315_000  # read from meta.usage.tokens_used
    assert (await provider.poll(handle)).state is JobState.SUCCEEDED
    artifacts = await provider.result(handle)
    assert len(artifacts) == 2 and all(a.url and a.mime == "image/png" for a in artifacts)
    assert sum(sim.submissions.values()) == 1


async def test_edit_sends_references_as_data_uris(
    provider: AimlApiProvider, sim: AimlApiSimulator
) -> None:
    refs = (reference(provider), reference(provider, RefRole.STYLE))
    req = request("google/nano-banana-pro-edit", Task.REFERENCE_TO_IMAGE, references=refs)
    await provider.submit(req, job_id="edit", webhook_url=None)
    body = last_body(sim, "/v1/images/generations")
    assert [u[:22] for u in body["image_urls"]] == ["data:image/png;base64,"] * 2
    assert sim.uploads == 0
    too_many = request("google/nano-banana-pro-edit", Task.REFERENCE_TO_IMAGE, references=refs * 3)
    with pytest.raises(InputError, match="at most 5"):
        provider.check(too_many)
    with pytest.raises(InputError, match="needs a reference"):
        provider.check(request("google/nano-banana-pro-edit", Task.REFERENCE_TO_IMAGE))


async def test_b64_json_images_are_written_to_scratch(provider: AimlApiProvider) -> None:
    req = request("bytedance/seedream-4-5", extra={"aimlapi": {"response_format": "b64_json"}})
    handle = await provider.submit(req, job_id="b64", webhook_url=None)
    [artifact] = await provider.result(handle)
    assert artifact.path is not None and artifact.mime == "image/png"
    assert artifact.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert artifact.path.is_relative_to(provider.ctx.scratch_dir)


async def test_hailuo_video_by_generation_id(
    provider: AimlApiProvider, sim: AimlApiSimulator
) -> None:
    frame = (reference(provider, RefRole.FIRST_FRAME),)
    req = request(
        "minimax/hailuo-2.3-fast",
        Task.IMAGE_TO_VIDEO,
        references=frame,
        duration=9,
        resolution="768p",
    )
    handle = await provider.submit(req, job_id="vid", webhook_url=None)
    body = last_body(sim, "/v2/video/generations")
    assert body["duration"] == 10 and body["resolution"] == "768P"
    assert body["image_url"].startswith("data:image/png;base64,")
    assert handle.request_id.endswith(":minimax/hailuo-2.3-fast")
    seen = await until_done(provider, handle)
    assert seen[0].message == "waiting" and seen[-1].state is JobState.SUCCEEDED
    [artifact] = await provider.result(handle)
    assert artifact.mime == "video/mp4" and artifact.url
    with pytest.raises(InputError, match="first and a last frame"):
        provider.check(
            request("minimax/hailuo-2.3-fast", Task.FIRST_LAST_TO_VIDEO, references=frame)
        )
    with pytest.raises(InputError, match="needs a first-frame"):
        provider.check(request("minimax/hailuo-2.3-fast", Task.IMAGE_TO_VIDEO))


async def test_seedance_first_and_last_frame(
    provider: AimlApiProvider, sim: AimlApiSimulator
) -> None:
    refs = (reference(provider, RefRole.FIRST_FRAME), reference(provider, RefRole.LAST_FRAME))
    req = request(
        "bytedance/seedance-1-5-pro",
        Task.FIRST_LAST_TO_VIDEO,
        references=refs,
        duration=20,
        aspect="9:16",
        audio=False,
    )
    provider.check(req)
    await provider.submit(req, job_id="fl", webhook_url=None)
    body = last_body(sim, "/v2/video/generations")
    assert "image_url" in body and "last_image_url" in body
    assert body["duration"] == 12 and body["aspect_ratio"] == "9:16"
    assert body["generate_audio"] is False


async def test_failed_video_reports_the_error(
    provider: AimlApiProvider, sim: AimlApiSimulator
) -> None:
    sim.config.fail_rate = 1.0
    handle = await provider.submit(
        request("google/veo-3.1-t2v-fast", Task.TEXT_TO_VIDEO), job_id="v", webhook_url=None
    )
    status = (await until_done(provider, handle))[-1]
    assert status.state is JobState.FAILED and status.error_reason is FailureReason.MODEL_FAILED
    assert "simulated model failure" in status.message and status.error_code == "GenerationError"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("Content moderation rejected the prompt", FailureReason.SAFETY),
        ("Generation timeout", FailureReason.TIMEOUT),
        ("Generation failed", FailureReason.MODEL_FAILED),
    ],
)
async def test_a_failed_video_maps_its_message(
    provider: AimlApiProvider, sim: AimlApiSimulator, message: str, reason: FailureReason
) -> None:
    sim.config.fail_rate, sim.fail_message = 1.0, message
    handle = await provider.submit(
        request("google/veo-3.1-t2v-fast", Task.TEXT_TO_VIDEO), job_id="v", webhook_url=None
    )
    status = (await until_done(provider, handle))[-1]
    assert (status.error_reason, status.error_code) == (reason, "GenerationError")


@pytest.mark.parametrize(
    ("finish", "refusal", "reason"),
    [
        ("content_filter", None, FailureReason.SAFETY),
        ("stop", "I can't help with that.", FailureReason.SAFETY),
        ("length", None, FailureReason.MODEL_FAILED),
    ],
)
async def test_an_empty_chat_answer_maps_its_finish_reason(
    provider: AimlApiProvider,
    sim: AimlApiSimulator,
    finish: str,
    refusal: str | None,
    reason: FailureReason,
) -> None:
    sim.fail_code, sim.fail_message = finish, refusal
    req = GenerationRequest(task=Task.CHAT, model="aimlapi:gpt-4o", prompt="Write a prompt")
    handle = await provider.submit(req, job_id="chat-2", webhook_url=None)
    status = await provider.poll(handle)
    assert (status.state, status.error_reason, status.error_code) == (
        JobState.FAILED,
        reason,
        finish,
    )
    assert status.usage is not None and status.usage.input_tokens == 6  # 3 words + 3


async def test_error_statuses_map_to_storyreel_errors(
    suite: SimulatorSuite, sim: AimlApiSimulator, provider: AimlApiProvider, tmp_path: Path
) -> None:
    wrong = make_provider(suite, tmp_path, key="nope")
    with pytest.raises(ProviderAPIError, match="valid API key") as unauthorized:
        await wrong.submit(request("google/nano-banana-pro"), job_id="a", webhook_url=None)
    assert unauthorized.value.status == 401 and not unauthorized.value.retryable
    assert unauthorized.value.reason is FailureReason.AUTH
    await wrong.aclose()
    with pytest.raises(ProviderAPIError, match="Body validation error!") as invalid:
        await provider.submit(request("nope/unknown"), job_id="b", webhook_url=None)
    assert invalid.value.status == 400 and not invalid.value.retryable
    assert invalid.value.reason is FailureReason.INPUT
    bad_enum = request("google/nano-banana-pro", extra={"aimlapi": {"resolution": "8K"}})
    with pytest.raises(ProviderAPIError, match="received '8K'"):
        await provider.submit(bad_enum, job_id="c", webhook_url=None)
    sim.burst_429 = 1
    with pytest.raises(ProviderAPIError, match="Too Many Requests") as limited:
        await provider.submit(request("google/nano-banana-pro"), job_id="d", webhook_url=None)
    assert limited.value.status == 429 and limited.value.retryable
    sim.max_concurrent = 0
    with pytest.raises(ProviderAPIError) as busy:
        await provider.submit(
            request("google/veo-3.1-t2v", Task.TEXT_TO_VIDEO), job_id="e", webhook_url=None
        )
    assert busy.value.status == 429
    sim.credits = 0
    with pytest.raises(QuotaError, match="run out of credits"):
        await provider.submit(request("google/nano-banana-pro"), job_id="f", webhook_url=None)
    assert sum(sim.submissions.values()) == 0


def test_status_vocabulary() -> None:
    assert video_state("queued") is video_state("waiting") is JobState.QUEUED
    assert video_state("generating") is JobState.RUNNING
    assert video_state("completed") is JobState.SUCCEEDED
    assert video_state("error") is JobState.FAILED
    assert video_state("mystery") is None
