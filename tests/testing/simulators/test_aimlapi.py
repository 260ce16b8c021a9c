"""The AIML API simulator against the official ``openai`` SDK, pointed at it the way seed 002
does (``OpenAI(api_key=..., base_url=<aiml>/v1)``): chat completions, ``images.generate``
for ``google/nano-banana-pro`` with AIML's own fields in ``extra_body``, the video routes
through the SDK's generic request layer, and the SDK's exception types for 400, 401, 403
and 429. A client nobody here wrote reads every answer.

AIML has no webhooks, no uploads and no cancel call, so there is nothing of those to drive.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from PIL import Image

from storyreel.media.images import image_to_png
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig
from storyreel.testing.simulators.aimlapi import AimlApiSimulator


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[AimlApiSimulator]:
    config = SimConfig(latency=0.1, video_latency=0.3)
    async with serve_simulators(config, providers=["aimlapi"], files_dir=tmp_path / "sim") as suite:
        sim = suite["aimlapi"]
        assert isinstance(sim, AimlApiSimulator)
        yield sim


def client(sim: AimlApiSimulator, key: str = "sim-key") -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=f"{sim.mount_url()}/v1", max_retries=0)


async def test_chat_completion_as_seed_002_writes_it(sim: AimlApiSimulator) -> None:
    sdk = client(sim)
    question = "Create a video prompt for a lighthouse"
    response = await asyncio.to_thread(
        lambda: sdk.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": question}]
        )
    )
    answer = response.choices[0].message.content
    assert answer and "lighthouse" in answer
    assert response.choices[0].finish_reason == "stop"
    assert response.usage is not None and response.usage.total_tokens > 0
    assert sim.requests[-1]["path"] == "/aimlapi/v1/chat/completions"


async def test_images_generate_nano_banana_pro(sim: AimlApiSimulator) -> None:
    sdk = client(sim)
    made = await asyncio.to_thread(
        sdk.images.generate,
        model="google/nano-banana-pro",
        prompt="A detailed K-pop idol portrait",
        size="1024x1792",  # seed 002 sends OpenAI's size and n; AIML ignores unknown fields
        n=1,
        extra_body={"aspect_ratio": "9:16", "resolution": "1K", "num_images": 2},
    )
    assert made.data is not None and len(made.data) == 2
    url = made.data[0].url
    assert url is not None
    async with httpx2.AsyncClient() as http:
        image = await http.get(url)
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    sent = sim.requests[-1]["body"]
    assert sent["aspect_ratio"] == "9:16" and sent["model"] == "google/nano-banana-pro"

    edit_source = base64.b64encode(image_to_png(Image.new("RGB", (64, 64), "teal"))).decode()
    edited = await asyncio.to_thread(
        sdk.images.generate,
        model="google/nano-banana-pro-edit",
        prompt="the same idol at night",
        extra_body={"image_urls": [f"data:image/png;base64,{edit_source}"]},
    )
    assert edited.data is not None and edited.data[0].url


async def test_video_generation_through_the_sdk_request_layer(sim: AimlApiSimulator) -> None:
    sdk = client(sim)
    video_url = f"{sim.mount_url()}/v2/video/generations"
    frame = base64.b64encode(image_to_png(Image.new("RGB", (64, 64), "navy"))).decode()
    created: Any = await asyncio.to_thread(
        sdk.post,
        video_url,
        cast_to=object,
        body={
            "model": "minimax/hailuo-2.3-fast",
            "prompt": "Action scene",
            "image_url": f"data:image/jpeg;base64,{frame}",
            "duration": 10,
        },
    )
    generation_id = created["generation_id"]
    assert created["status"] == "queued" and ":" in generation_id
    deadline = time.monotonic() + 30
    while True:
        polled: Any = await asyncio.to_thread(
            lambda: sdk.get(
                video_url, cast_to=object, options={"params": {"generation_id": generation_id}}
            )
        )
        if polled["status"] not in ("queued", "waiting", "generating"):
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert polled["status"] == "completed" and polled["id"] == generation_id
    assert polled["video"]["url"].endswith(".mp4")


async def test_errors_surface_as_the_sdk_exception_types(sim: AimlApiSimulator) -> None:
    with pytest.raises(openai.AuthenticationError) as unauthorized:
        await asyncio.to_thread(
            client(sim, key="wrong").images.generate, model="google/nano-banana-pro", prompt="x"
        )
    assert "valid API key" in str(unauthorized.value)
    sdk = client(sim)
    with pytest.raises(openai.BadRequestError) as invalid:
        await asyncio.to_thread(sdk.images.generate, model="nope/unknown", prompt="x")
    assert "Body validation error!" in str(invalid.value)
    sim.burst_429 = 1
    with pytest.raises(openai.RateLimitError):
        await asyncio.to_thread(
            lambda: sdk.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
            )
        )
    sim.credits = 0
    with pytest.raises(openai.PermissionDeniedError) as broke:
        await asyncio.to_thread(sdk.images.generate, model="google/nano-banana-pro", prompt="x")
    assert "run out of credits" in str(broke.value)
    assert sum(sim.submissions.values()) == 0
