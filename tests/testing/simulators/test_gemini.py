"""The Gemini simulator against the official ``google-genai`` SDK: generate_content with an
image part and an image_config, the safety switches read through the SDK's own types, a Veo
operation polled with ``operations.get`` and downloaded with ``files.download``, and
``errors.ClientError`` for 400/404/429.

The installed SDK (google-genai 3.4) only offers ``models.generate_videos`` in Vertex mode
and raises ValueError for a Developer API client, so the Veo submission goes through the
SDK's own request layer (its auth header, base URL and error mapping) instead."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from google import genai
from google.genai import errors, types
from PIL import Image

from storyreel.media.images import image_to_png
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig
from storyreel.testing.simulators.gemini import GeminiSimulator

VEO = "veo-3.1-fast-generate-preview"


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[GeminiSimulator]:
    async with serve_simulators(
        SimConfig(latency=0.1, video_latency=0.4), providers=["gemini"], files_dir=tmp_path / "sim"
    ) as suite:
        sim = suite["gemini"]
        assert isinstance(sim, GeminiSimulator)
        yield sim


def client(sim: GeminiSimulator, key: str = "sim-key") -> genai.Client:
    options = types.HttpOptions(base_url=sim.mount_url(), api_version="v1beta")
    return genai.Client(api_key=key, http_options=options)


def png(colour: str = "orange") -> bytes:
    return image_to_png(Image.new("RGB", (128, 128), colour))


def image_config(**fields: str) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"], image_config=types.ImageConfig(**fields)
    )


async def test_generate_content_with_a_reference_image(sim: GeminiSimulator) -> None:
    sdk = client(sim)
    response = await asyncio.to_thread(
        sdk.models.generate_content,
        model="gemini-3-pro-image-preview",
        contents=types.Content(
            role="user",
            parts=[
                types.Part.from_bytes(data=png(), mime_type="image/png"),
                types.Part.from_text(text="the same keeper on the gallery, at night"),
            ],
        ),
        config=image_config(aspect_ratio="16:9", image_size="2K"),
    )
    assert response.candidates is not None
    candidate = response.candidates[0]
    assert candidate.finish_reason == types.FinishReason.STOP
    assert candidate.content is not None and candidate.content.parts is not None
    finals = [p for p in candidate.content.parts if p.inline_data and not p.thought]
    assert any(p.thought for p in candidate.content.parts)  # a thought draft came first
    data = finals[-1].inline_data
    assert data is not None and data.data is not None and data.data[:4] == b"\x89PNG"
    assert response.usage_metadata is not None and response.usage_metadata.prompt_token_count
    sent = sim.requests[-1]["body"]
    assert sent["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}


async def test_safety_switches_read_through_the_sdk(sim: GeminiSimulator) -> None:
    sdk = client(sim)
    blocked = await asyncio.to_thread(
        sdk.models.generate_content,
        model="gemini-2.5-flash-image",
        contents="BLOCKME a cat",
        config=image_config(aspect_ratio="1:1"),
    )
    assert blocked.candidates is not None
    assert blocked.candidates[0].finish_reason == types.FinishReason.IMAGE_SAFETY
    prompt_blocked = await asyncio.to_thread(
        sdk.models.generate_content,
        model="gemini-2.5-flash-image",
        contents="PROMPTBLOCK a cat",
        config=image_config(),
    )
    assert not prompt_blocked.candidates
    assert prompt_blocked.prompt_feedback is not None
    assert prompt_blocked.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT


async def test_veo_operation_polled_and_downloaded(sim: GeminiSimulator) -> None:
    sdk = client(sim)
    with pytest.raises(ValueError, match="Developer API"):
        await asyncio.to_thread(
            sdk.models.generate_videos,
            model=VEO,
            source=types.GenerateVideosSource(prompt="a lighthouse"),
        )
    body: dict[str, object] = {
        "instances": [{"prompt": "waves crash on the rocks"}],
        "parameters": {"aspectRatio": "16:9", "durationSeconds": 4, "sampleCount": 1},
    }
    raw = await asyncio.to_thread(
        sdk._api_client.request, "post", f"models/{VEO}:predictLongRunning", body
    )
    operation = types.GenerateVideosOperation.model_validate(
        {"name": json.loads(raw.body or "{}")["name"]}
    )
    assert operation.name is not None and operation.name.startswith(f"models/{VEO}/operations/")
    deadline = time.monotonic() + 30
    while not operation.done and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        operation = await asyncio.to_thread(sdk.operations.get, operation)
    assert operation.done and operation.error is None
    assert operation.result is not None and operation.result.generated_videos
    video = operation.result.generated_videos[0].video
    assert video is not None and video.uri is not None
    file_id = video.uri.split("/files/")[1].split(":")[0]
    data = await asyncio.to_thread(sdk.files.download, file=f"files/{file_id}")
    assert data[4:8] == b"ftyp"


async def test_errors_surface_as_client_errors(sim: GeminiSimulator) -> None:
    wrong = client(sim, "AIza-wrong")  # kept referenced: a collected Client closes its pool
    with pytest.raises(errors.ClientError) as bad_key:
        await asyncio.to_thread(
            wrong.models.generate_content,
            model="gemini-2.5-flash-image",
            contents="x",
            config=image_config(),
        )
    assert bad_key.value.code == 400 and bad_key.value.status == "INVALID_ARGUMENT"
    assert "API key not valid" in (bad_key.value.message or "")

    sdk = client(sim)
    with pytest.raises(errors.ClientError) as bad_ratio:
        await asyncio.to_thread(
            sdk.models.generate_content,
            model="gemini-2.5-flash-image",
            contents="x",
            config=image_config(aspect_ratio="7:3"),
        )
    assert bad_ratio.value.code == 400
    with pytest.raises(errors.ClientError) as too_big:
        await asyncio.to_thread(
            sdk.models.generate_content,
            model="gemini-2.5-flash-image",
            contents="x",
            config=image_config(image_size="4K"),
        )
    assert too_big.value.code == 400
    with pytest.raises(errors.ClientError) as unknown:
        await asyncio.to_thread(
            sdk.models.generate_content, model="gemini-0-image", contents="x", config=image_config()
        )
    assert unknown.value.code == 404 and unknown.value.status == "NOT_FOUND"
    with pytest.raises(errors.ClientError) as vertex_only:
        await asyncio.to_thread(
            sdk._api_client.request,
            "post",
            f"models/{VEO}:predictLongRunning",
            {"instances": [{"prompt": "x"}], "parameters": {"seed": 3}},
        )
    assert vertex_only.value.code == 400

    sim.burst_429 = 1
    with pytest.raises(errors.APIError) as limited:
        await asyncio.to_thread(
            sdk.models.generate_content,
            model="gemini-2.5-flash-image",
            contents="x",
            config=image_config(),
        )
    assert isinstance(limited.value, errors.ClientError)
    assert limited.value.code == 429 and limited.value.status == "RESOURCE_EXHAUSTED"
    assert sum(sim.submissions.values()) == 0
