"""The ModelsLab adapter against its simulator, call by call: bodies on the wire (key in the
body, string durations, seed 000's v8 routes and ``samples`` 7), the envelope's states and
its errors inside HTTP 200, uploads, and unsigned webhooks."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from storyreel.config import ProviderSettings
from storyreel.errors import (
    FailureReason,
    InputError,
    ProviderAPIError,
    ProviderJobError,
    QuotaError,
    WebhookRejected,
)
from storyreel.media.images import image_to_png
from storyreel.providers.base import ProviderContext
from storyreel.providers.modelslab import ModelsLabProvider
from storyreel.providers.modelslab_responses import message_of, outputs_of
from storyreel.providers.types import Handle, JobState, Status
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.testing.simulators.modelslab import ModelsLabSimulator
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    config = SimConfig(latency=0.2, video_latency=0.3)
    async with serve_simulators(config, providers=["modelslab"], files_dir=tmp_path / "f") as sims:
        yield sims


@pytest.fixture
def sim(suite: SimulatorSuite) -> ModelsLabSimulator:
    sim = suite["modelslab"]
    assert isinstance(sim, ModelsLabSimulator)
    return sim


def make_provider(
    suite: SimulatorSuite, tmp_path: Path, *, key: str = "sim-key", **options: str
) -> ModelsLabProvider:
    settings = ProviderSettings(
        base_url=suite["modelslab"].mount_url(), api_key=key, options=options
    )
    ctx = ProviderContext(
        settings=settings, assets=AssetStore(tmp_path / "assets"), scratch_dir=tmp_path / "scratch"
    )
    return ModelsLabProvider(ctx)


@pytest.fixture
async def provider(suite: SimulatorSuite, tmp_path: Path) -> AsyncIterator[ModelsLabProvider]:
    p = make_provider(suite, tmp_path)
    yield p
    await p.aclose()


def request(model: str, task: Task = Task.TEXT_TO_IMAGE, **fields: Any) -> GenerationRequest:
    return GenerationRequest(task=task, model=f"modelslab:{model}", prompt="a lighthouse", **fields)


def reference(provider: ModelsLabProvider, role: RefRole = RefRole.CHARACTER) -> Reference:
    sha, _ = provider.ctx.assets.put(image_to_png(Image.new("RGB", (64, 64), "teal")), "image/png")
    return Reference(role=role, asset=sha)


def last_body(sim: ModelsLabSimulator, path_part: str) -> dict[str, Any]:
    for entry in reversed(sim.requests):
        if path_part in entry["path"]:
            body: dict[str, Any] = entry["body"]
            return body
    raise AssertionError(f"no request to {path_part}")


async def until_done(provider: ModelsLabProvider, handle: Handle) -> Status:
    for _ in range(200):
        status = await provider.poll(handle)
        if status.state.terminal:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError("job never finished")


async def test_community_image_on_v6_polls_to_success(
    provider: ModelsLabProvider, sim: ModelsLabSimulator
) -> None:
    req = request("realistic-vision", width=1600, height=900, count=2, seed=5, steps=25)
    handle = await provider.submit(req, job_id="job-1", webhook_url=None)
    body = last_body(sim, "/api/v6/images/text2img")
    assert body["key"] == "sim-key" and body["model_id"] == "realistic-vision"
    assert (body["width"], body["height"]) == (1024, 576)  # v6: at most 1024, multiples of 8
    assert body["samples"] == 2 and body["seed"] == 5 and body["num_inference_steps"] == 25
    assert body["track_id"] == "job-1" and "webhook" not in body
    assert handle.request_id.isdigit()
    assert handle.urls["fetch"].endswith(f"/api/v6/images/fetch/{handle.request_id}")
    assert handle.data["eta"] >= 0
    first = await provider.poll(handle)
    assert first.state is JobState.RUNNING and "eta" in first.message
    assert (await until_done(provider, handle)).state is JobState.SUCCEEDED
    artifacts = await provider.result(handle)
    assert [a.mime for a in artifacts] == ["image/png", "image/png"]
    assert all(a.url and a.url.startswith(sim.files.base_url) for a in artifacts)


async def test_seed_000_v8_routes_and_seven_samples(
    suite: SimulatorSuite, sim: ModelsLabSimulator, tmp_path: Path
) -> None:
    provider = make_provider(suite, tmp_path, image_api_version="v8")
    handle = await provider.submit(request("flux", count=7), job_id="j", webhook_url=None)
    assert last_body(sim, "/api/v8/images/text-to-image")["samples"] == 7
    assert "/api/v8/images/fetch/" in handle.urls["fetch"]
    assert (await until_done(provider, handle)).state is JobState.SUCCEEDED
    assert len(await provider.result(handle)) == 7
    with pytest.raises(InputError, match="at most 7"):
        provider.check(request("flux", count=8))
    with pytest.raises(InputError, match="v6 or v8"):
        await provider.submit(
            request("flux", extra={"api_version": "v9"}), job_id="k", webhook_url=None
        )
    await provider.aclose()


async def test_image_to_image_uploads_through_base64_to_url(
    provider: ModelsLabProvider, sim: ModelsLabSimulator
) -> None:
    req = request("sdxl", Task.IMAGE_TO_IMAGE, references=(reference(provider),))
    handle = await provider.submit(req, job_id="j", webhook_url=None)
    upload = last_body(sim, "/api/v6/base64_to_url")
    assert upload["base64_string"].startswith("data:image/png;base64,")
    body = last_body(sim, "/api/v6/images/img2img")
    assert body["init_image"].startswith(sim.files.base_url) and body["strength"] == 0.5
    assert sim.uploads == 1
    assert (await until_done(provider, handle)).state is JobState.SUCCEEDED
    with pytest.raises(InputError, match="needs a reference"):
        provider.check(request("sdxl", Task.IMAGE_TO_IMAGE))
    with pytest.raises(InputError, match="5 MB"):
        await provider.upload(b"x" * (5 * 1024 * 1024 + 1), "image/png")


async def test_v7_image_models_take_aspect_ratio_and_image_arrays(
    provider: ModelsLabProvider, sim: ModelsLabSimulator
) -> None:
    refs = (reference(provider), reference(provider, RefRole.STYLE))
    req = request("nano-banana-pro", Task.REFERENCE_TO_IMAGE, references=refs, aspect="16:9")
    await provider.submit(req, job_id="j", webhook_url=None)
    body = last_body(sim, "/api/v7/images/image-to-image")
    assert body["aspect_ratio"] == "16:9" and len(body["init_image"]) == 2
    assert "width" not in body
    await provider.submit(
        request("seedream-4.5", width=1000, height=1500), job_id="k", webhook_url=None
    )
    assert last_body(sim, "/api/v7/images/text-to-image")["aspect_ratio"] == "2:3"
    with pytest.raises(InputError, match="serves"):
        provider.check(request("seedream-4.5", Task.IMAGE_TO_IMAGE, references=refs))


async def test_video_fusion_bodies_use_string_durations(
    provider: ModelsLabProvider, sim: ModelsLabSimulator
) -> None:
    await provider.submit(
        request("veo-3.1-fast", Task.TEXT_TO_VIDEO, duration=6.4, aspect="9:16", audio=False),
        job_id="v1",
        webhook_url="https://example.test/hook",
    )
    body = last_body(sim, "/api/v7/video-fusion/text-to-video")
    assert body["duration"] == "6" and body["aspect_ratio"] == "9:16"
    assert body["generate_audio"] is False and body["webhook"] == "https://example.test/hook"
    frame = (reference(provider, RefRole.FIRST_FRAME),)
    await provider.submit(
        request("seedance-i2v", Task.IMAGE_TO_VIDEO, references=frame),
        job_id="v2",
        webhook_url=None,
    )
    body = last_body(sim, "/api/v7/video-fusion/image-to-video")
    assert isinstance(body["init_image"], list) and len(body["init_image"]) == 1
    handle = await provider.submit(
        request("Hailuo-2.3-Fast-i2v", Task.IMAGE_TO_VIDEO, references=frame, duration=10),
        job_id="v3",
        webhook_url=None,
    )
    body = last_body(sim, "/api/v7/video-fusion/image-to-video")
    assert body["duration"] == "10" and isinstance(body["init_image"], str)
    assert handle.urls["fetch"].endswith(f"/api/v7/video-fusion/fetch/{handle.request_id}")
    with pytest.raises(InputError, match="resolution"):
        await provider.submit(
            request("wan2.6-t2v", Task.TEXT_TO_VIDEO, resolution="4k"),
            job_id="v4",
            webhook_url=None,
        )


async def test_seedance_1_5_pro_follows_seed_000(
    provider: ModelsLabProvider, sim: ModelsLabSimulator
) -> None:
    frame = (reference(provider, RefRole.FIRST_FRAME),)
    await provider.submit(
        request("seedance-1.5-pro", Task.IMAGE_TO_VIDEO, references=frame),
        job_id="v",
        webhook_url=None,
    )
    body = last_body(sim, "/api/v7/video-fusion/image-to-video")
    assert (body["width"], body["height"], body["num_frames"]) == (1280, 720, 60)
    assert isinstance(body["init_image"], str)


async def test_speech_and_music_return_audio(
    provider: ModelsLabProvider, sim: ModelsLabSimulator
) -> None:
    speech = await provider.submit(
        request("eleven_multilingual_v2", Task.SPEECH), job_id="s", webhook_url=None
    )
    assert last_body(sim, "/api/v7/voice/text-to-speech")["voice_id"] == "21m00Tcm4TlvDq8ikWAM"
    music = await provider.submit(request("music_v1", Task.SPEECH), job_id="m", webhook_url=None)
    assert last_body(sim, "/api/v7/voice/music-gen")["model_id"] == "music_v1"
    for handle in (speech, music):
        assert "/api/v7/voice/fetch/" in handle.urls["fetch"]
        assert (await until_done(provider, handle)).state is JobState.SUCCEEDED
        [artifact] = await provider.result(handle)
        assert artifact.mime == "audio/wav"


async def test_errors_inside_http_200_and_with_documented_codes(
    suite: SimulatorSuite, sim: ModelsLabSimulator, tmp_path: Path
) -> None:
    wrong = make_provider(suite, tmp_path, key="nope")
    for http_status in (200, 400):
        sim.error_http_status = http_status
        with pytest.raises(ProviderAPIError, match="Invalid Api Key") as caught:
            await wrong.submit(request("sdxl"), job_id="j", webhook_url=None)
        assert caught.value.status == 401 and not caught.value.retryable
        assert caught.value.reason is FailureReason.AUTH
    await wrong.aclose()
    provider = make_provider(suite, tmp_path)
    bad = request("veo-3.1", Task.TEXT_TO_VIDEO, extra={"modelslab": {"duration": "7"}})
    sim.error_http_status = 200
    with pytest.raises(ProviderJobError, match="duration is invalid") as job_error:
        await provider.submit(bad, job_id="j", webhook_url=None)
    assert (job_error.value.reason, job_error.value.code) == (FailureReason.INPUT, "validation")
    sim.error_http_status = 400
    with pytest.raises(ProviderAPIError, match="duration is invalid") as api_error:
        await provider.submit(bad, job_id="j", webhook_url=None)
    assert api_error.value.status == 400 and not api_error.value.retryable
    assert api_error.value.reason is FailureReason.INPUT
    assert isinstance(
        provider.api_error({"status": "error", "message": "Insufficient credits"}), QuotaError
    )
    await provider.aclose()


async def test_rate_limits_are_retryable_with_retry_after(
    provider: ModelsLabProvider, sim: ModelsLabSimulator
) -> None:
    sim.burst_429 = 1
    with pytest.raises(ProviderAPIError) as burst:
        await provider.submit(request("sdxl"), job_id="j", webhook_url=None)
    assert burst.value.status == 429 and burst.value.retryable and burst.value.retry_after == 1.0
    sim.queue_limit = 1
    await provider.submit(request("sdxl"), job_id="a", webhook_url=None)
    with pytest.raises(ProviderAPIError, match="Maximum 1 queued requests") as full:
        await provider.submit(request("sdxl"), job_id="b", webhook_url=None)
    assert full.value.retryable and full.value.retry_after == 1.0
    assert sum(sim.submissions.values()) == 1


@pytest.mark.parametrize(("model", "misspelled"), [("sdxl", True), ("nano-banana-t2i", False)])
async def test_failed_jobs_report_the_message(
    provider: ModelsLabProvider, sim: ModelsLabSimulator, model: str, misspelled: bool
) -> None:
    sim.config.fail_rate = 1.0
    handle = await provider.submit(request(model), job_id="j", webhook_url=None)
    await until_done(provider, handle)
    fetched = await provider.fetch(handle)
    assert ("messege" in fetched) is misspelled
    assert fetched["status"] == ("error" if misspelled else "failed")
    status = await provider.poll(handle)
    assert status.state is JobState.FAILED and status.error_reason is FailureReason.MODEL_FAILED
    assert "simulated model failure" in status.message and status.error_code == "failed"
    with pytest.raises(ProviderJobError):
        await provider.result(handle)


async def test_instant_success_needs_no_fetch(
    provider: ModelsLabProvider, sim: ModelsLabSimulator
) -> None:
    sim.instant_images = True
    handle = await provider.submit(request("anything-v5"), job_id="j", webhook_url=None)
    assert handle.data["output"]
    fetches = sum("/fetch" in r["path"] for r in sim.requests)
    assert (await provider.poll(handle)).state is JobState.SUCCEEDED
    assert len(await provider.result(handle)) == 1
    assert sum("/fetch" in r["path"] for r in sim.requests) == fetches


async def test_body_form_fetch_with_request_id(
    provider: ModelsLabProvider, sim: ModelsLabSimulator
) -> None:
    handle = await provider.submit(request("sdxl"), job_id="j", webhook_url=None)
    body_form = handle.model_copy(
        update={"urls": {"fetch": f"{sim.mount_url()}/api/v6/images/fetch"}}
    )
    assert (await until_done(provider, body_form)).state is JobState.SUCCEEDED
    assert last_body(sim, "/api/v6/images/fetch")["request_id"] == handle.request_id


async def test_webhooks_are_parsed_as_unsigned_hints(
    provider: ModelsLabProvider, sim: ModelsLabSimulator
) -> None:
    handle = await provider.submit(request("sdxl"), job_id="job-9", webhook_url=None)
    await until_done(provider, handle)
    headers, body = sim.signed_webhook(handle.request_id)
    event = await provider.parse_webhook(headers, body)
    assert event.request_id == handle.request_id and event.state is JobState.SUCCEEDED
    assert event.event_id == f"job-9:{handle.request_id}:success"
    failed = json.dumps({"status": "failed", "id": 12, "message": "x", "track_id": "t"}).encode()
    assert (await provider.parse_webhook({}, failed)).state is JobState.FAILED
    for forged in (b"not json", b"[1]", b'{"status": "success"}', b'{"id": 3}'):
        with pytest.raises(WebhookRejected):
            await provider.parse_webhook({}, forged)


def test_envelope_helpers(provider: ModelsLabProvider) -> None:
    assert message_of({"status": "error", "messege": "image uploaded"}) == "image uploaded"
    assert message_of({"message": {"prompt": ["The prompt field is required."]}}) == (
        "prompt: The prompt field is required."
    )
    assert outputs_of({"output": [], "proxy_links": {"1": "b", "0": "a"}}) == ["a", "b"]
    assert outputs_of({"output_url": "https://x/y.mp4"}) == ["https://x/y.mp4"]
    png = image_to_png(Image.new("RGB", (8, 8)))
    handle = Handle(provider="modelslab", request_id="77", data={"kind": "image"})
    artifact = provider._artifact(handle, 0, base64.b64encode(png).decode(), "image")
    assert artifact.mime == "image/png" and artifact.path is not None
    assert artifact.path.read_bytes() == png


#: How a ModelsLab job fails (its flag, its message) -> reason and code.
FAILED_JOBS = [
    ("nsfw_content_detected", "simulated model failure", FailureReason.SAFETY),
    (None, "NSFW content detected in the image", FailureReason.SAFETY),
    (None, "request timeout, please retry", FailureReason.TIMEOUT),
    (None, "Server Error", FailureReason.PROVIDER_DOWN),
    (None, "out of memory", FailureReason.MODEL_FAILED),
]


@pytest.mark.parametrize(("code", "message", "reason"), FAILED_JOBS)
async def test_a_failed_job_maps_its_flag_and_message(
    provider: ModelsLabProvider,
    sim: ModelsLabSimulator,
    code: str | None,
    message: str,
    reason: FailureReason,
) -> None:
    sim.config.fail_rate, sim.fail_code, sim.fail_message = 1.0, code, message
    handle = await provider.submit(request("sdxl"), job_id="j", webhook_url=None)
    status = await until_done(provider, handle)
    assert status.state is JobState.FAILED and status.error_reason is reason
    assert status.error_code and status.error_code in status.message


@pytest.mark.parametrize("instant", [False, True])
async def test_a_finished_job_reports_generation_time(
    provider: ModelsLabProvider, sim: ModelsLabSimulator, instant: bool
) -> None:
    sim.instant_images, sim.usage = instant, {"generationTime": 31.2}
    handle = await provider.submit(request("anything-v5"), job_id="j", webhook_url=None)
    status = await until_done(provider, handle)
    assert status.state is JobState.SUCCEEDED and status.usage is not None
    assert (status.usage.gpu_seconds, status.usage.count) == (31.2, 1)
