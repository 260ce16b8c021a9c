"""The Gemini adapter against its simulator, without the engine: the generateContent body
(inline references, an imageConfig with only aspectRatio and imageSize), picking the final
non-thought image, safety finish reasons and prompt blocks as ProviderJobError with the
reason, Google's error bodies, and Veo operations through to the downloaded video."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from PIL import Image

from storyreel.config import ProviderSettings
from storyreel.errors import FailureReason, InputError, ProviderAPIError, ProviderJobError
from storyreel.media.images import image_to_png
from storyreel.media.probe import probe_video
from storyreel.providers.base import ProviderContext
from storyreel.providers.gemini import GeminiProvider, video_seconds
from storyreel.providers.registry import load_registry
from storyreel.providers.types import Handle, JobState, Status
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.testing.simulators.gemini import GeminiSimulator
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

#: finishReason of an answer without an image -> what it means. Only content refusals are
#: SAFETY; the model giving up is MODEL_FAILED (it used to be reported as a refusal).
FINISH_REASONS = {
    "SAFETY": FailureReason.SAFETY,
    "IMAGE_SAFETY": FailureReason.SAFETY,
    "PROHIBITED_CONTENT": FailureReason.SAFETY,
    "IMAGE_PROHIBITED_CONTENT": FailureReason.SAFETY,
    "BLOCKLIST": FailureReason.SAFETY,
    "SPII": FailureReason.SAFETY,
    "RECITATION": FailureReason.SAFETY,
    "IMAGE_RECITATION": FailureReason.SAFETY,
    "NO_IMAGE": FailureReason.MODEL_FAILED,
    "IMAGE_OTHER": FailureReason.MODEL_FAILED,
    "OTHER": FailureReason.MODEL_FAILED,
    "MAX_TOKENS": FailureReason.MODEL_FAILED,
    "FINISH_REASON_UNSPECIFIED": FailureReason.MODEL_FAILED,
    "STOP": FailureReason.MODEL_FAILED,
}


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    async with serve_simulators(
        SimConfig(latency=0.1, video_latency=0.4), providers=["gemini"], files_dir=tmp_path / "sim"
    ) as sims:
        yield sims


@pytest.fixture
def sim(suite: SimulatorSuite) -> GeminiSimulator:
    sim = suite["gemini"]
    assert isinstance(sim, GeminiSimulator)
    return sim


def make_provider(tmp_path: Path, base_url: str, key: str = "sim-key") -> GeminiProvider:
    settings = ProviderSettings(base_url=base_url, api_key=key)
    ctx = ProviderContext(settings, AssetStore(tmp_path / "assets"), tmp_path / "scratch")
    return GeminiProvider(ctx)


@pytest.fixture
async def provider(tmp_path: Path, sim: GeminiSimulator) -> AsyncIterator[GeminiProvider]:
    provider = make_provider(tmp_path, sim.mount_url())
    yield provider
    await provider.aclose()


def ref(provider: GeminiProvider, role: RefRole, colour: str = "orange") -> Reference:
    png = image_to_png(Image.new("RGB", (128, 128), colour))
    sha, _ = provider.ctx.assets.put(png, "image/png")
    return Reference(role=role, asset=sha, mime="image/png")


def request(**fields: object) -> GenerationRequest:
    base: dict[str, object] = {
        "task": Task.TEXT_TO_IMAGE,
        "model": "gemini:gemini-3-pro-image-preview",
        "prompt": "a lighthouse at dusk",
    }
    return GenerationRequest.model_validate(base | fields)


async def until_done(provider: GeminiProvider, handle: Handle) -> Status:
    for _ in range(400):
        status = await provider.poll(handle)
        if status.state.terminal:
            return status
        await asyncio.sleep(0.02)
    raise AssertionError("the operation never finished")


# -- pure mapping ----------------------------------------------------------------------


def test_registered() -> None:
    assert load_registry().get("gemini") is GeminiProvider


def test_image_body_inlines_references_and_keeps_image_config_to_two_keys(
    provider: GeminiProvider,
) -> None:
    char = ref(provider, RefRole.CHARACTER)
    req = request(
        task=Task.REFERENCE_TO_IMAGE,
        references=(char,),
        width=1920,
        height=1080,
        resolution="2k",
        seed=7,
        negative_prompt="text",
    )
    body = provider.image_body(req)
    parts = body["contents"][0]["parts"]
    assert parts[0] == {"text": "a lighthouse at dusk\n\nAvoid: text"}
    assert base64.b64decode(parts[1]["inlineData"]["data"]) == provider.reference_bytes(char)
    assert parts[1]["inlineData"]["mimeType"] == "image/png"
    config = body["generationConfig"]
    assert config["responseModalities"] == ["TEXT", "IMAGE"]
    assert config["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}
    assert config["seed"] == 7


def test_veo_seconds_snap_to_4_6_8() -> None:
    video = {"task": Task.TEXT_TO_VIDEO, "model": "gemini:veo-3.1-generate-preview"}
    assert video_seconds(request(**video)) == 8
    assert video_seconds(request(**video, duration=5)) == 6
    assert video_seconds(request(**video, duration=3)) == 4


def test_check_refuses_before_paying(provider: GeminiProvider) -> None:
    with pytest.raises(InputError, match="imageSize 1K"):
        provider.check(request(model="gemini:gemini-2.5-flash-image", resolution="2K"))
    with pytest.raises(InputError, match="one image per request"):
        provider.check(request(count=2))
    veo = {"task": Task.TEXT_TO_VIDEO, "model": "gemini:veo-3.1-generate-preview"}
    with pytest.raises(InputError, match="8-second"):
        provider.check(request(**veo, resolution="1080p", duration=4))
    with pytest.raises(InputError, match="refuses seed"):
        provider.check(request(**veo, extra={"seed": 1}))
    with pytest.raises(InputError, match="last_frame"):
        provider.check(
            request(
                **veo | {"task": Task.FIRST_LAST_TO_VIDEO},
                references=(ref(provider, RefRole.FIRST_FRAME),),
            )
        )


def test_the_last_non_thought_image_is_picked(provider: GeminiProvider) -> None:
    def blob(tag: bytes) -> dict[str, Any]:
        return {"mimeType": "image/png", "data": base64.b64encode(tag).decode()}

    answer = {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"text": "thinking", "thought": True},
                        {"inlineData": blob(b"draft"), "thought": True},
                        {"inlineData": blob(b"first")},
                        {"text": "here you go"},
                        {"inlineData": blob(b"final")},
                        {"inlineData": blob(b"late draft"), "thought": True},
                    ]
                },
                "finishReason": "STOP",
            }
        ]
    }
    assert provider.pick_image(answer) == ("image/png", b"final")


@pytest.mark.parametrize(("finish", "reason"), FINISH_REASONS.items())
def test_every_finish_reason_is_mapped_and_kept(
    provider: GeminiProvider, finish: str, reason: FailureReason
) -> None:
    answer = {"candidates": [{"content": {"parts": []}, "finishReason": finish}]}
    with pytest.raises(ProviderJobError, match=finish) as caught:
        provider.pick_image(answer)
    assert (caught.value.reason, caught.value.code) == (reason, finish)


# -- images through the simulator --------------------------------------------------------


async def test_reference_image_generation_keeps_the_final_image(
    provider: GeminiProvider, sim: GeminiSimulator
) -> None:
    req = request(
        task=Task.REFERENCE_TO_IMAGE,
        references=(ref(provider, RefRole.CHARACTER), ref(provider, RefRole.STYLE, "teal")),
        aspect="16:9",
    )
    provider.check(req)
    handle = await provider.submit(req, job_id="job1", webhook_url=None)
    assert sim.requests[-1]["path"].endswith(
        "/v1beta/models/gemini-3-pro-image-preview:generateContent"
    )
    assert handle.data["usage"]["promptTokenCount"] > 0
    assert (await provider.poll(handle)).state is JobState.SUCCEEDED
    [artifact] = await provider.result(handle)
    assert artifact.path is not None
    with Image.open(artifact.path) as img:
        assert img.size == (512, 292)  # 1344x768 scaled down, not the 64x64 thought draft


@pytest.mark.parametrize(
    ("prompt", "code", "reason"),
    [
        ("BLOCKME", "IMAGE_SAFETY", FailureReason.SAFETY),
        ("PROMPTBLOCK", "PROHIBITED_CONTENT", FailureReason.SAFETY),
        ("NOIMAGE", "NO_IMAGE", FailureReason.MODEL_FAILED),
        ("FINISH=SAFETY", "SAFETY", FailureReason.SAFETY),
        ("FINISH=RECITATION", "RECITATION", FailureReason.SAFETY),
        ("FINISH=OTHER", "OTHER", FailureReason.MODEL_FAILED),
        ("FINISH=MAX_TOKENS", "MAX_TOKENS", FailureReason.MODEL_FAILED),
    ],
)
async def test_refusals_in_a_200_become_job_errors_with_the_reason(
    provider: GeminiProvider, prompt: str, code: str, reason: FailureReason
) -> None:
    with pytest.raises(ProviderJobError, match=code) as caught:
        await provider.submit(request(prompt=f"{prompt} a cat"), job_id="j", webhook_url=None)
    assert (caught.value.reason, caught.value.code) == (reason, code)


async def test_google_error_bodies(tmp_path: Path, sim: GeminiSimulator) -> None:
    wrong = make_provider(tmp_path, sim.mount_url(), key="AIza-wrong")
    with pytest.raises(ProviderAPIError, match="API_KEY_INVALID") as bad_key:
        await wrong.submit(request(), job_id="j", webhook_url=None)
    assert bad_key.value.status == 400 and not bad_key.value.retryable
    assert (bad_key.value.reason, bad_key.value.code) == (FailureReason.AUTH, "API_KEY_INVALID")
    await wrong.aclose()

    provider = make_provider(tmp_path, sim.mount_url())
    sim.burst_429 = 1
    with pytest.raises(ProviderAPIError, match="RESOURCE_EXHAUSTED") as limited:
        await provider.submit(request(), job_id="j", webhook_url=None)
    assert limited.value.retryable and limited.value.retry_after == pytest.approx(0.05)
    assert limited.value.reason is FailureReason.RATE_LIMITED
    with pytest.raises(ProviderAPIError, match="not found") as unknown:
        await provider.submit(request(model="gemini:gemini-9-image"), job_id="j", webhook_url=None)
    assert unknown.value.status == 404 and not unknown.value.retryable
    assert (unknown.value.reason, unknown.value.code) == (FailureReason.INPUT, "NOT_FOUND")
    too_many = tuple(ref(provider, RefRole.CHARACTER, f"#{i:02x}0000") for i in range(15))
    with pytest.raises(ProviderAPIError, match="INVALID_ARGUMENT"):
        await provider.submit(
            request(task=Task.REFERENCE_TO_IMAGE, references=too_many), job_id="j", webhook_url=None
        )
    assert sum(sim.submissions.values()) == 0
    await provider.aclose()


# -- Veo -------------------------------------------------------------------------------


async def test_veo_first_and_last_frame_to_a_downloaded_video(
    provider: GeminiProvider, sim: GeminiSimulator
) -> None:
    req = request(
        task=Task.FIRST_LAST_TO_VIDEO,
        model="gemini:veo-3.1-generate-preview",
        references=(ref(provider, RefRole.FIRST_FRAME), ref(provider, RefRole.LAST_FRAME, "teal")),
        aspect="9:16",
        duration=6,
        negative_prompt="text",
        seed=3,
        audio=False,
    )
    provider.check(req)
    handle = await provider.submit(req, job_id="v1", webhook_url=None)
    assert handle.request_id.startswith("models/veo-3.1-generate-preview/operations/")
    body = sim.requests[-1]["body"]
    assert set(body["instances"][0]) == {"prompt", "image", "lastFrame"}
    assert body["parameters"] == {
        "durationSeconds": 6,
        "sampleCount": 1,
        "aspectRatio": "9:16",
        "negativePrompt": "text",
    }
    final = await until_done(provider, handle)
    assert final.state is JobState.SUCCEEDED
    [artifact] = await provider.result(handle)
    assert artifact.path is not None and artifact.mime == "video/mp4"
    video = probe_video(artifact.path)
    assert video.frames > 0 and video.height > video.width


async def test_veo_filtered_output_fails_with_the_reasons(provider: GeminiProvider) -> None:
    req = request(task=Task.TEXT_TO_VIDEO, model="gemini:veo-3.1-fast-generate-preview")
    handle = await provider.submit(
        req.model_copy(update={"prompt": "BLOCKME"}), job_id="v2", webhook_url=None
    )
    final = await until_done(provider, handle)
    assert final.state is JobState.FAILED
    assert (final.error_reason, final.error_code) == (FailureReason.SAFETY, "RAI_MEDIA_FILTERED")
    assert "filtered" in final.message


async def test_the_key_never_goes_to_another_host(tmp_path: Path) -> None:
    seen: list[httpx2.Request] = []

    def answer(req: httpx2.Request) -> httpx2.Response:
        seen.append(req)
        if req.url.host == "api.example":
            return httpx2.Response(302, headers={"location": "https://cdn.example/v.mp4"})
        return httpx2.Response(200, content=b"mp4 bytes")

    provider = make_provider(tmp_path, "https://api.example")

    async def public_dns(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]  # cdn.example, as a real resolver would answer

    provider.resolver = public_dns
    loop = asyncio.get_running_loop()
    provider._clients[loop] = httpx2.AsyncClient(transport=httpx2.MockTransport(answer))
    target = tmp_path / "out.mp4"
    await provider.download_to("https://api.example/v1beta/files/abc:download?alt=media", target)
    assert target.read_bytes() == b"mp4 bytes"
    assert seen[0].headers["x-goog-api-key"] == "sim-key"
    assert "x-goog-api-key" not in seen[1].headers
    await provider.aclose()


async def test_an_image_reports_the_tokens_google_counted(
    provider: GeminiProvider, sim: GeminiSimulator
) -> None:
    sim.usage = {"candidatesTokenCount": 1290, "thoughtsTokenCount": 310}
    handle = await provider.submit(request(), job_id="u", webhook_url=None)
    status = await provider.poll(handle)
    assert status.state is JobState.SUCCEEDED and status.usage is not None
    # 12 prompt tokens for a text-only prompt; candidates and thoughts are both output.
    assert (status.usage.input_tokens, status.usage.output_tokens) == (12, 1600)


@pytest.mark.parametrize(
    ("rpc_code", "status", "reason"),
    [
        ("13", "INTERNAL", FailureReason.PROVIDER_DOWN),
        ("3", "INVALID_ARGUMENT", FailureReason.INPUT),
        ("4", "DEADLINE_EXCEEDED", FailureReason.TIMEOUT),
        ("8", "RESOURCE_EXHAUSTED", FailureReason.RATE_LIMITED),
    ],
)
async def test_a_failed_veo_operation_maps_its_rpc_code(
    provider: GeminiProvider,
    sim: GeminiSimulator,
    rpc_code: str,
    status: str,
    reason: FailureReason,
) -> None:
    sim.config.fail_rate, sim.fail_code = 1.0, rpc_code
    req = request(task=Task.TEXT_TO_VIDEO, model="gemini:veo-3.1-fast-generate-preview")
    handle = await provider.submit(req, job_id="v3", webhook_url=None)
    final = await until_done(provider, handle)
    assert (final.state, final.error_reason, final.error_code) == (JobState.FAILED, reason, status)
    assert status in final.message
