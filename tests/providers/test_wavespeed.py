"""WaveSpeed adapter against its simulator: request mapping (sizes, series, uploads,
webhook query), status and error mapping (HTTP and inside the envelope), and webhook
signatures."""

from __future__ import annotations

import asyncio
import json
import time
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from PIL import Image

import storyreel
from storyreel.config import ProviderSettings
from storyreel.errors import (
    FailureReason,
    InputError,
    ProviderAPIError,
    QuotaError,
    WebhookRejected,
)
from storyreel.media.images import image_to_png
from storyreel.providers.base import ProviderContext
from storyreel.providers.types import Handle, JobState, Status
from storyreel.providers.wavespeed import WaveSpeedProvider
from storyreel.providers.wavespeed_models import (
    MAX_PIXELS,
    MIN_PIXELS,
    MODELS,
    parse_size,
    seedream_size,
    validate_input,
)
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.testing.simulators.wavespeed import WaveSpeedSimulator
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

SEQ = "wavespeed:bytedance/seedream-v4.5/edit-sequential"
I2V = "wavespeed:bytedance/seedance-v1.5-pro/image-to-video"


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    async with serve_simulators(
        SimConfig(latency=0.2, video_latency=0.4), providers=["wavespeed"], files_dir=tmp_path
    ) as sims:
        yield sims


@pytest.fixture
def sim(suite: SimulatorSuite) -> WaveSpeedSimulator:
    sim = suite["wavespeed"]
    assert isinstance(sim, WaveSpeedSimulator)
    return sim


def make_provider(
    suite: SimulatorSuite, tmp_path: Path, *, key: str | None = None, **options: str
) -> WaveSpeedProvider:
    settings = suite.provider_settings("wavespeed", api_key=key, **options)
    assets = AssetStore(tmp_path / "assets")
    return WaveSpeedProvider(ProviderContext(settings, assets, tmp_path / "scratch"))


def reference(provider: WaveSpeedProvider, role: RefRole, colour: str = "red") -> Reference:
    sha, _ = provider.ctx.assets.put(image_to_png(Image.new("RGB", (64, 64), colour)), "image/png")
    return Reference(role=role, asset=sha)


async def until_done(provider: WaveSpeedProvider, handle: Handle) -> list[Status]:
    seen = []
    for _ in range(400):
        status = await provider.poll(handle)
        seen.append(status)
        if status.state.terminal:
            return seen
        await asyncio.sleep(0.02)
    raise AssertionError(f"never finished: {seen[-1]}")


def last_body(sim: WaveSpeedSimulator, path_part: str) -> Any:
    return next(r["body"] for r in reversed(sim.requests) if path_part in r["path"])


# -- pure mapping ----------------------------------------------------------------------


def test_sizes_are_scaled_into_seedreams_pixel_range() -> None:
    for width, height in ((512, 384), (1024, 1024), (8000, 6000), (1920, 1080)):
        size = parse_size(seedream_size(width, height, None))
        assert size is not None
        assert MIN_PIXELS <= size[0] * size[1] <= MAX_PIXELS
        assert abs(size[0] / size[1] - width / height) < 0.01
    assert seedream_size(None, None, "16:9") == "2560*1440"
    assert seedream_size(None, None, None) is None


def test_validation_messages() -> None:
    seq = MODELS["bytedance/seedream-v4.5/edit-sequential"]
    assert validate_input(seq, {"prompt": "x", "images": ["u"], "max_images": 3}) == []
    errors = validate_input(seq, {"prompt": "x", "max_images": 16, "size": "100*100"})
    assert any("images is required" in e for e in errors)
    assert any("max_images" in e for e in errors)
    assert any("out of range" in e for e in errors)
    i2v = MODELS["bytedance/seedance-v1.5-pro/image-to-video"]
    assert validate_input(i2v, {"prompt": "x", "image": "u", "duration": 13}) != []
    assert validate_input(i2v, {"prompt": "x", "image": "u", "duration": -1}) == []


def test_check_refuses_what_a_route_cannot_do(tmp_path: Path) -> None:
    settings = ProviderSettings(api_key="k")
    provider = WaveSpeedProvider(
        ProviderContext(settings, AssetStore(tmp_path / "a"), tmp_path / "s")
    )
    ref = reference(provider, RefRole.CHARACTER)
    with pytest.raises(InputError, match="sequential"):
        provider.check(
            GenerationRequest(
                task=Task.REFERENCE_TO_IMAGE,
                model="wavespeed:bytedance/seedream-v4.5/edit",
                references=(ref,),
                count=2,
            )
        )
    with pytest.raises(InputError, match="at least one reference"):
        provider.check(GenerationRequest(task=Task.REFERENCE_TO_IMAGE, model=SEQ))
    with pytest.raises(InputError, match="first_frame"):
        provider.check(GenerationRequest(task=Task.IMAGE_TO_VIDEO, model=I2V, references=(ref,)))
    with pytest.raises(InputError, match="does"):
        provider.check(GenerationRequest(task=Task.TEXT_TO_VIDEO, model=I2V))


# -- against the simulator -------------------------------------------------------------


async def test_a_series_maps_count_size_references_and_webhook(
    suite: SimulatorSuite, sim: WaveSpeedSimulator, tmp_path: Path
) -> None:
    provider = make_provider(suite, tmp_path)
    req = GenerationRequest(
        task=Task.REFERENCE_TO_IMAGE,
        model=SEQ,
        prompt="the keeper at dawn.",
        references=(reference(provider, RefRole.CHARACTER),),
        width=512,
        height=384,
        count=3,
    )
    provider.check(req)
    handle = await provider.submit(req, job_id="job1", webhook_url="http://hook.test/w?x=1")
    body = last_body(sim, "edit-sequential")
    assert body["max_images"] == 3 and "3 images" in body["prompt"]
    assert body["size"] == "2218*1663"
    assert body["images"][0].startswith(suite.base_url) and sim.uploads == 1
    job = sim.jobs[handle.request_id]
    assert job.webhook == "http://hook.test/w?x=1"
    states = [s.state for s in await until_done(provider, handle)]
    assert states[-1] is JobState.SUCCEEDED
    assert set(states) <= {JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED}
    artifacts = await provider.result(handle)
    assert len(artifacts) == 3 and all(a.mime == "image/png" for a in artifacts)
    async with httpx2.AsyncClient() as client:
        assert (await client.get(str(artifacts[0].url))).content[:4] == b"\x89PNG"
    await provider.aclose()


async def test_video_maps_frames_duration_audio_and_seed(
    suite: SimulatorSuite, sim: WaveSpeedSimulator, tmp_path: Path
) -> None:
    provider = make_provider(suite, tmp_path)
    req = GenerationRequest(
        task=Task.FIRST_LAST_TO_VIDEO,
        model=I2V,
        prompt="push in",
        references=(
            reference(provider, RefRole.FIRST_FRAME, "teal"),
            reference(provider, RefRole.LAST_FRAME, "navy"),
        ),
        duration=30,
        resolution="1080P",
        aspect="16:9",
        audio=True,
        seed=11,
    )
    provider.check(req)
    handle = await provider.submit(req, job_id="job2", webhook_url=None)
    body = last_body(sim, "image-to-video")
    assert body["image"] != body["last_image"]
    assert (body["duration"], body["resolution"], body["aspect_ratio"]) == (12, "1080p", "16:9")
    assert body["generate_audio"] is True and body["seed"] == 11
    assert sim.jobs[handle.request_id].webhook is None
    assert (await until_done(provider, handle))[-1].state is JobState.SUCCEEDED
    [video] = await provider.result(handle)
    assert video.mime == "video/mp4"
    await provider.aclose()


async def test_a_failed_prediction_is_a_failed_status_not_an_error(
    suite: SimulatorSuite, sim: WaveSpeedSimulator, tmp_path: Path
) -> None:
    suite.config.fail_rate = 1.0
    provider = make_provider(suite, tmp_path)
    req = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="wavespeed:bytedance/seedream-v4.5", prompt="x"
    )
    handle = await provider.submit(req, job_id="j", webhook_url=None)
    final = (await until_done(provider, handle))[-1]
    assert final.state is JobState.FAILED
    assert final.message == "simulated model failure (failed)"
    assert final.error_reason is FailureReason.MODEL_FAILED
    await provider.aclose()


FAILED_PREDICTIONS = [
    ("The content was flagged as potentially sensitive", FailureReason.SAFETY, "sensitive_content"),
    ("NSFW content detected in the output", FailureReason.SAFETY, "sensitive_content"),
    ("inference timed out after 600s", FailureReason.TIMEOUT, "timeout"),
    ("CUDA error: an illegal memory access", FailureReason.MODEL_FAILED, "failed"),
]


@pytest.mark.parametrize(("error", "reason", "code"), FAILED_PREDICTIONS)
async def test_a_failed_prediction_maps_its_error(
    suite: SimulatorSuite,
    sim: WaveSpeedSimulator,
    tmp_path: Path,
    error: str,
    reason: FailureReason,
    code: str,
) -> None:
    suite.config.fail_rate, sim.fail_message = 1.0, error
    provider = make_provider(suite, tmp_path)
    req = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="wavespeed:bytedance/seedream-v4.5", prompt="x"
    )
    handle = await provider.submit(req, job_id="j", webhook_url=None)
    final = (await until_done(provider, handle))[-1]
    assert (final.error_reason, final.error_code) == (reason, code)
    await provider.aclose()


async def test_a_finished_prediction_reports_inference_time(
    suite: SimulatorSuite, sim: WaveSpeedSimulator, tmp_path: Path
) -> None:
    sim.usage = {"inference": 18500}
    provider = make_provider(suite, tmp_path)
    req = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="wavespeed:bytedance/seedream-v4.5", prompt="x"
    )
    handle = await provider.submit(req, job_id="j", webhook_url=None)
    final = (await until_done(provider, handle))[-1]
    assert final.state is JobState.SUCCEEDED and final.usage is not None
    assert (final.usage.gpu_seconds, final.usage.count) == (18.5, 1)
    await provider.aclose()


async def test_errors_map_to_retryable_or_final(
    suite: SimulatorSuite, sim: WaveSpeedSimulator, tmp_path: Path
) -> None:
    provider = make_provider(suite, tmp_path)
    req = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="wavespeed:bytedance/seedream-v4.5", prompt="x"
    )
    wrong = make_provider(suite, tmp_path, key="wrong")
    with pytest.raises(ProviderAPIError) as auth:
        await wrong.submit(req, job_id="j", webhook_url=None)
    assert auth.value.status == 401 and not auth.value.retryable
    assert auth.value.reason is FailureReason.AUTH
    bad = req.model_copy(update={"extra": {"wavespeed": {"size": "64*64"}}})
    with pytest.raises(ProviderAPIError, match="out of range") as invalid:
        await provider.submit(bad, job_id="j", webhook_url=None)
    assert invalid.value.status == 400 and not invalid.value.retryable
    assert invalid.value.reason is FailureReason.INPUT
    sim.burst_429 = 1
    with pytest.raises(ProviderAPIError) as limited:
        await provider.submit(req, job_id="j", webhook_url=None)
    assert limited.value.status == 429 and limited.value.retryable
    unknown = req.model_copy(update={"model": "wavespeed:bytedance/no-such-model"})
    with pytest.raises(ProviderAPIError) as missing:
        await provider.submit(unknown, job_id="j", webhook_url=None)
    assert missing.value.status == 404
    assert sum(sim.submissions.values()) == 0
    await provider.aclose()
    await wrong.aclose()


def test_codes_inside_an_http_200_envelope(tmp_path: Path) -> None:
    provider = WaveSpeedProvider(
        ProviderContext(ProviderSettings(api_key="k"), AssetStore(tmp_path), tmp_path)
    )
    busy = httpx2.Response(200, json={"code": 503, "message": "busy", "data": None})
    with pytest.raises(ProviderAPIError, match="busy") as exc:
        provider.envelope(busy)
    assert exc.value.status == 503 and exc.value.retryable
    with pytest.raises(QuotaError):
        provider.envelope(httpx2.Response(200, json={"code": 402, "message": "no credit"}))
    with pytest.raises(ProviderAPIError) as garbage:
        provider.envelope(httpx2.Response(200, text="<html>"))
    assert garbage.value.status is None  # unknown outcome: a submit is never repeated
    limited = httpx2.Response(429, headers={"retry-after": "7"}, json={"code": 429})
    assert provider.error_from_response(limited).retry_after == 7.0


async def test_both_prediction_paths_answer(
    suite: SimulatorSuite, sim: WaveSpeedSimulator, tmp_path: Path
) -> None:
    provider = make_provider(suite, tmp_path)
    req = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="wavespeed:bytedance/seedream-v4.5", prompt="x"
    )
    handle = await provider.submit(req, job_id="j", webhook_url=None)
    legacy = handle.model_copy(update={"urls": {"get": f"{handle.urls['get']}/result"}})
    assert (await until_done(provider, legacy))[-1].state is JobState.SUCCEEDED
    assert len(await provider.result(handle)) == 1
    await provider.aclose()


# -- webhooks --------------------------------------------------------------------------


async def test_webhooks_verify_with_the_fetched_secret(
    suite: SimulatorSuite, sim: WaveSpeedSimulator, tmp_path: Path
) -> None:
    provider = make_provider(suite, tmp_path)
    req = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="wavespeed:bytedance/seedream-v4.5", prompt="x"
    )
    handle = await provider.submit(req, job_id="j", webhook_url=None)
    await until_done(provider, handle)
    headers, body = sim.signed_webhook(handle.request_id)
    event = await provider.parse_webhook(headers, body)
    assert event.request_id == handle.request_id and event.state is JobState.SUCCEEDED
    assert event.event_id == headers["webhook-id"]
    assert json.loads(body)["urls"]["get"].endswith("/result")
    with pytest.raises(WebhookRejected, match="signature"):
        await provider.parse_webhook(headers, body.replace(b"completed", b"failed"))
    old_headers, old_body = sim.signed_webhook(handle.request_id, timestamp=int(time.time()) - 600)
    with pytest.raises(WebhookRejected, match="window"):
        await provider.parse_webhook(old_headers, old_body)
    with pytest.raises(WebhookRejected, match="missing"):
        await provider.parse_webhook({}, body)
    fetched = [r for r in sim.requests if r["path"].endswith("/webhook/secret")]
    assert len(fetched) == 1, "the secret is fetched once, not per webhook"
    await provider.aclose()


async def test_a_configured_secret_needs_no_fetch(
    suite: SimulatorSuite, sim: WaveSpeedSimulator, tmp_path: Path
) -> None:
    provider = make_provider(suite, tmp_path, webhook_secret=sim.secret)
    job = sim.start_job("bytedance/seedream-v4.5", "image", {"prompt": "x"})
    headers, body = sim.signed_webhook(job.id)
    assert (await provider.parse_webhook(headers, body)).request_id == job.id
    assert not [r for r in sim.requests if r["path"].endswith("/webhook/secret")]
    wrong = make_provider(suite, tmp_path, webhook_secret="whsec_not-it")
    with pytest.raises(WebhookRejected):
        await wrong.parse_webhook(headers, body)
    await provider.aclose()


def test_every_catalogued_model_is_in_the_table() -> None:
    path = Path(storyreel.__file__).parent / "catalog" / "data" / "wavespeed.toml"
    if not path.exists():
        pytest.skip("no wavespeed catalog yet")
    catalog = tomllib.loads(path.read_text())
    for entry in catalog["models"]:
        provider, model_id = entry["id"].split(":", 1)
        assert provider == "wavespeed"
        model = MODELS.get(model_id)
        assert model is not None, f"catalogued but unknown to the adapter: {model_id}"
        assert {Task(t) for t in entry["tasks"]} <= model.tasks, model_id
