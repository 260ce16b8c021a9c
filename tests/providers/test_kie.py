"""Kie adapter against its simulator: request mapping (aspect ratios, quality, input URLs
through the upload API, callBackUrl), ``code`` errors inside HTTP 200 and in HTTP
statuses, ``resultJson`` strings, and callback signatures."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
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
from storyreel.providers.kie import MODELS, KieProvider, validate_input
from storyreel.providers.types import Handle, JobState, Status
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.testing.simulators.kie import KieSimulator
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task, aspect_for

EDIT = "kie:seedream/4.5-edit"
T2I = "kie:seedream/4.5-text-to-image"
VIDEO = "kie:bytedance/seedance-1.5-pro"


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    async with serve_simulators(
        SimConfig(latency=0.2, video_latency=0.4), providers=["kie"], files_dir=tmp_path
    ) as sims:
        yield sims


@pytest.fixture
def sim(suite: SimulatorSuite) -> KieSimulator:
    sim = suite["kie"]
    assert isinstance(sim, KieSimulator)
    return sim


def make_provider(
    suite: SimulatorSuite, tmp_path: Path, *, key: str | None = None, **options: str
) -> KieProvider:
    settings = suite.provider_settings("kie", api_key=key, **options)
    return KieProvider(ProviderContext(settings, AssetStore(tmp_path / "assets"), tmp_path))


def offline_provider(tmp_path: Path, **options: str) -> KieProvider:
    settings = ProviderSettings(api_key="k", options=options)
    return KieProvider(ProviderContext(settings, AssetStore(tmp_path / "assets"), tmp_path))


def reference(provider: KieProvider, role: RefRole, colour: str = "red") -> Reference:
    sha, _ = provider.ctx.assets.put(image_to_png(Image.new("RGB", (64, 64), colour)), "image/png")
    return Reference(role=role, asset=sha)


async def until_done(provider: KieProvider, handle: Handle) -> list[Status]:
    seen = []
    for _ in range(400):
        status = await provider.poll(handle)
        seen.append(status)
        if status.state.terminal:
            return seen
        await asyncio.sleep(0.02)
    raise AssertionError(f"never finished: {seen[-1]}")


def last_task(sim: KieSimulator) -> Any:
    return next(r["body"] for r in reversed(sim.requests) if r["path"].endswith("createTask"))


# -- pure mapping ----------------------------------------------------------------------


def _req(**shape: Any) -> GenerationRequest:
    return GenerationRequest(task=Task.TEXT_TO_IMAGE, model=T2I, **shape)


def test_ratios_and_validation() -> None:
    ratios = MODELS["seedream/4.5-edit"].enums["aspect_ratio"]
    assert aspect_for(_req(width=512, height=384), ratios) == "4:3"
    assert aspect_for(_req(width=1000, height=1900), ratios) == "9:16"
    assert aspect_for(_req(aspect="5:4"), ratios) == "4:3"
    assert aspect_for(_req(), ratios) is None
    edit = MODELS["seedream/4.5-edit"]
    assert validate_input(edit, {"prompt": "x", "image_urls": ["u"], "quality": "basic"}) == []
    errors = validate_input(edit, {"prompt": "x" * 3001, "quality": "ultra"})
    assert len(errors) == 3
    video = MODELS["bytedance/seedance-1.5-pro"]
    assert validate_input(video, {"prompt": "x", "duration": 8, "fixed_lens": False}) == []
    assert validate_input(video, {"prompt": "x", "duration": True}) != []
    assert validate_input(video, {"prompt": "x", "input_urls": ["a", "b", "c"]}) != []


def test_check_refuses_series_and_missing_frames(tmp_path: Path) -> None:
    provider = offline_provider(tmp_path)
    ref = reference(provider, RefRole.CHARACTER)
    with pytest.raises(InputError, match="one output"):
        provider.check(GenerationRequest(task=Task.TEXT_TO_IMAGE, model=T2I, count=2))
    with pytest.raises(InputError, match="reference"):
        provider.check(GenerationRequest(task=Task.IMAGE_TO_IMAGE, model=EDIT))
    with pytest.raises(InputError, match="first_frame"):
        provider.check(GenerationRequest(task=Task.IMAGE_TO_VIDEO, model=VIDEO, references=(ref,)))
    provider.check(GenerationRequest(task=Task.TEXT_TO_VIDEO, model=VIDEO))


# -- against the simulator -------------------------------------------------------------


async def test_an_edit_maps_urls_ratio_quality_and_callback(
    suite: SimulatorSuite, sim: KieSimulator, tmp_path: Path
) -> None:
    provider = make_provider(suite, tmp_path)
    req = GenerationRequest(
        task=Task.REFERENCE_TO_IMAGE,
        model=EDIT,
        prompt="same keeper, rainy night",
        references=(reference(provider, RefRole.CHARACTER), reference(provider, RefRole.STYLE)),
        width=1080,
        height=1920,
        resolution="4K",
    )
    provider.check(req)
    handle = await provider.submit(req, job_id="j", webhook_url="http://hook.test/k")
    task = last_task(sim)
    assert task["model"] == "seedream/4.5-edit" and task["callBackUrl"] == "http://hook.test/k"
    data = task["input"]
    assert (data["aspect_ratio"], data["quality"]) == ("9:16", "high")
    assert len(data["image_urls"]) == 2 and sim.uploads == 2
    assert all(url.startswith(suite.base_url) for url in data["image_urls"])
    assert handle.request_id.startswith("task_")
    states = [s.state for s in await until_done(provider, handle)]
    assert states[-1] is JobState.SUCCEEDED
    [image] = await provider.result(handle)
    async with httpx2.AsyncClient() as client:
        assert (await client.get(str(image.url))).content[:4] == b"\x89PNG"
    await provider.aclose()


async def test_first_last_video_maps_two_input_urls(
    suite: SimulatorSuite, sim: KieSimulator, tmp_path: Path
) -> None:
    provider = make_provider(suite, tmp_path)
    req = GenerationRequest(
        task=Task.FIRST_LAST_TO_VIDEO,
        model=VIDEO,
        prompt="dolly in",
        references=(
            reference(provider, RefRole.LAST_FRAME, "navy"),
            reference(provider, RefRole.FIRST_FRAME, "teal"),
        ),
        duration=2,
        resolution="480p",
        aspect="16:9",
        audio=False,
    )
    provider.check(req)
    handle = await provider.submit(req, job_id="j", webhook_url=None)
    task = last_task(sim)
    assert "callBackUrl" not in task
    data = task["input"]
    assert len(data["input_urls"]) == 2
    assert (data["duration"], data["resolution"], data["aspect_ratio"]) == (4, "480p", "16:9")
    assert data["generate_audio"] is False
    first = sim.files.get(data["input_urls"][0].rsplit("/", 1)[-1])
    assert first is not None and Image.open(first).getpixel((0, 0)) == (0, 128, 128)
    assert (await until_done(provider, handle))[-1].state is JobState.SUCCEEDED
    [video] = await provider.result(handle)
    assert video.mime == "video/mp4"
    await provider.aclose()


async def test_a_failed_task_reports_fail_code_and_message(
    suite: SimulatorSuite, sim: KieSimulator, tmp_path: Path
) -> None:
    suite.config.fail_rate = 1.0
    provider = make_provider(suite, tmp_path)
    handle = await provider.submit(
        GenerationRequest(task=Task.TEXT_TO_IMAGE, model=T2I, prompt="x"),
        job_id="j",
        webhook_url=None,
    )
    final = (await until_done(provider, handle))[-1]
    assert final.state is JobState.FAILED
    assert final.message == "simulated model failure (failCode 500)"
    assert (final.error_reason, final.error_code) == (FailureReason.PROVIDER_DOWN, "500")
    await provider.aclose()


#: A failed task's ``failCode`` and ``failMsg`` -> reason.
FAILED_TASKS = [
    ("500", "internal error", FailureReason.PROVIDER_DOWN),
    ("501", "generation failed", FailureReason.MODEL_FAILED),
    ("422", "image_urls: file could not be read", FailureReason.INPUT),
    ("400", "Your content was flagged as sensitive, please modify it", FailureReason.SAFETY),
    ("455", "service under maintenance", FailureReason.PROVIDER_DOWN),
]


@pytest.mark.parametrize(("code", "message", "reason"), FAILED_TASKS)
async def test_a_failed_task_maps_its_fail_code(
    suite: SimulatorSuite,
    sim: KieSimulator,
    tmp_path: Path,
    code: str,
    message: str,
    reason: FailureReason,
) -> None:
    suite.config.fail_rate = 1.0
    sim.fail_code, sim.fail_message = code, message
    provider = make_provider(suite, tmp_path)
    handle = await provider.submit(
        GenerationRequest(task=Task.TEXT_TO_IMAGE, model=T2I, prompt="x"),
        job_id="j",
        webhook_url=None,
    )
    final = (await until_done(provider, handle))[-1]
    assert (final.error_reason, final.error_code) == (reason, code)
    assert message in final.message
    await provider.aclose()


async def test_a_finished_task_reports_cost_time(
    suite: SimulatorSuite, sim: KieSimulator, tmp_path: Path
) -> None:
    sim.usage = {"costTime": 12345}
    provider = make_provider(suite, tmp_path)
    handle = await provider.submit(
        GenerationRequest(task=Task.TEXT_TO_IMAGE, model=T2I, prompt="x"),
        job_id="j",
        webhook_url=None,
    )
    final = (await until_done(provider, handle))[-1]
    assert final.state is JobState.SUCCEEDED and final.usage is not None
    assert (final.usage.gpu_seconds, final.usage.count) == (12.345, 1)
    await provider.aclose()


async def test_codes_in_http_200_bodies_are_errors(
    suite: SimulatorSuite, sim: KieSimulator, tmp_path: Path
) -> None:
    req = GenerationRequest(task=Task.TEXT_TO_IMAGE, model=T2I, prompt="x")
    wrong = make_provider(suite, tmp_path, key="wrong")
    with pytest.raises(ProviderAPIError) as auth:
        await wrong.submit(req, job_id="j", webhook_url=None)
    assert auth.value.status == 401 and not auth.value.retryable
    provider = make_provider(suite, tmp_path)
    bad = req.model_copy(update={"extra": {"kie": {"aspect_ratio": "5:4"}}})
    with pytest.raises(ProviderAPIError, match="aspect_ratio") as invalid:
        await provider.submit(bad, job_id="j", webhook_url=None)
    assert invalid.value.status == 422 and not invalid.value.retryable
    assert invalid.value.reason is FailureReason.INPUT and not invalid.value.reason.fails_over
    sim.burst_429 = 1
    with pytest.raises(ProviderAPIError) as limited:
        await provider.submit(req, job_id="j", webhook_url=None)
    assert limited.value.status == 429 and limited.value.retryable
    with pytest.raises(ProviderAPIError) as missing:
        await provider.poll(Handle(provider="kie", request_id="task_nope"))
    assert missing.value.status == 404
    assert sum(sim.submissions.values()) == 0
    await provider.aclose()
    await wrong.aclose()


def test_codes_in_http_statuses_and_bodies(tmp_path: Path) -> None:
    provider = offline_provider(tmp_path)
    with pytest.raises(QuotaError):
        provider.envelope(httpx2.Response(200, json={"code": 402, "msg": "Insufficient credits"}))
    codes = [
        (401, False, FailureReason.AUTH),
        (404, False, FailureReason.INPUT),
        (422, False, FailureReason.INPUT),
        (429, True, FailureReason.RATE_LIMITED),
        (455, True, FailureReason.PROVIDER_DOWN),
        (500, True, FailureReason.PROVIDER_DOWN),
        (501, False, FailureReason.MODEL_FAILED),
        (505, False, FailureReason.INPUT),
    ]
    for code, retryable, reason in codes:
        error = provider.error_from_response(httpx2.Response(200, json={"code": code, "msg": "m"}))
        assert (error.status, error.retryable, error.reason, error.code) == (
            code,
            retryable,
            reason,
            str(code),
        )
    http_only = provider.error_from_response(
        httpx2.Response(503, headers={"retry-after": "3"}, text="upstream down")
    )
    assert (http_only.status, http_only.retryable, http_only.retry_after) == (503, True, 3.0)
    assert provider.error_from_response(httpx2.Response(401, json={"code": 401})).status == 401


# -- callbacks -------------------------------------------------------------------------


async def test_callbacks_are_verified_when_a_key_is_configured(
    suite: SimulatorSuite, sim: KieSimulator, tmp_path: Path
) -> None:
    provider = make_provider(suite, tmp_path)
    handle = await provider.submit(
        GenerationRequest(task=Task.TEXT_TO_IMAGE, model=T2I, prompt="x"),
        job_id="j",
        webhook_url=None,
    )
    await until_done(provider, handle)
    headers, body = sim.signed_webhook(handle.request_id)
    event = await provider.parse_webhook(headers, body)
    assert event.request_id == handle.request_id and event.state is JobState.SUCCEEDED
    assert event.event_id == f"{handle.request_id}:{headers['x-webhook-timestamp']}"
    result = json.loads(json.loads(body)["data"]["resultJson"])
    assert result["resultUrls"] == [a.url for a in await provider.result(handle)]
    with pytest.raises(WebhookRejected, match="missing"):
        await provider.parse_webhook({}, body)
    forged = headers | {"x-webhook-signature": base64.b64encode(b"x" * 32).decode()}
    with pytest.raises(WebhookRejected, match="verify"):
        await provider.parse_webhook(forged, body)
    old_headers, old_body = sim.signed_webhook(handle.request_id, timestamp=int(time.time()) - 3600)
    with pytest.raises(WebhookRejected, match="window"):
        await provider.parse_webhook(old_headers, old_body)
    other = json.dumps({"code": 200, "data": {"taskId": "task_other", "state": "success"}})
    with pytest.raises(WebhookRejected, match="verify"):
        await provider.parse_webhook(headers, other.encode())
    await provider.aclose()


async def test_without_a_key_a_callback_is_an_unsigned_hint(tmp_path: Path) -> None:
    provider = offline_provider(tmp_path)
    body = json.dumps({"code": 200, "data": {"task_id": "task_1", "state": "fail"}}).encode()
    event = await provider.parse_webhook({}, body)
    assert (event.request_id, event.state, event.event_id) == ("task_1", JobState.FAILED, None)
    with pytest.raises(WebhookRejected, match="taskId"):
        await provider.parse_webhook({}, b'{"code": 200, "data": {}}')
    keyed = offline_provider(tmp_path, webhook_hmac_key="k")
    ts = str(int(time.time()))
    digest = hmac.new(b"k", f"task_1.{ts}".encode(), hashlib.sha256).digest()
    headers = {"X-Webhook-Timestamp": ts, "X-Webhook-Signature": base64.b64encode(digest).decode()}
    assert (await keyed.parse_webhook(headers, body)).request_id == "task_1"


def test_every_catalogued_model_is_in_the_table() -> None:
    path = Path(storyreel.__file__).parent / "catalog" / "data" / "kie.toml"
    if not path.exists():
        pytest.skip("no kie catalog yet")
    catalog = tomllib.loads(path.read_text())
    for entry in catalog["models"]:
        provider, model_id = entry["id"].split(":", 1)
        assert provider == "kie"
        model = MODELS.get(model_id)
        assert model is not None, f"catalogued but unknown to the adapter: {model_id}"
        assert {Task(t) for t in entry["tasks"]} <= model.tasks, model_id
