"""The OpenAI simulator against the official ``openai`` SDK: if a client nobody here wrote
can generate and edit images, run a Sora job to its MP4, delete it, and sees its own
exception types for 400/401/429, the simulator speaks OpenAI's wire protocol."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest
from PIL import Image

from storyreel.media.images import image_to_png
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig
from storyreel.testing.simulators.openai import OpenAISimulator


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[OpenAISimulator]:
    async with serve_simulators(
        SimConfig(latency=0.1, video_latency=0.4), providers=["openai"], files_dir=tmp_path / "sim"
    ) as suite:
        sim = suite["openai"]
        assert isinstance(sim, OpenAISimulator)
        yield sim


def client(sim: OpenAISimulator, key: str = "sim-key") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{sim.mount_url()}/v1", api_key=key, max_retries=0)


def png(size: tuple[int, int] = (256, 256), colour: str = "orange") -> bytes:
    return image_to_png(Image.new("RGB", size, colour))


async def test_images_generate_and_edit(sim: OpenAISimulator) -> None:
    sdk = client(sim)
    made = await asyncio.to_thread(
        sdk.images.generate,
        model="gpt-image-1.5",
        prompt="a lighthouse at dusk",
        size="1536x1024",
        quality="low",
        n=2,
    )
    assert made.data is not None and len(made.data) == 2
    assert made.size == "1536x1024" and made.quality == "low" and made.output_format == "png"
    assert made.usage is not None and made.usage.output_tokens == 800
    first = made.data[0].b64_json
    assert first is not None and base64.b64decode(first)[:4] == b"\x89PNG"

    edited = await asyncio.to_thread(
        sdk.images.edit,
        model="gpt-image-1.5",
        image=[("a.png", png(), "image/png"), ("b.png", png(colour="teal"), "image/png")],
        prompt="the same keeper, now at night",
        output_format="jpeg",
    )
    assert edited.data is not None and edited.data[0].b64_json is not None
    assert base64.b64decode(edited.data[0].b64_json)[:2] == b"\xff\xd8"
    job = next(j for j in sim.jobs.values() if j.body.get("images"))
    assert job.body["images"] == 2  # two ``image[]`` parts reached the simulator

    single = await asyncio.to_thread(
        sdk.images.edit, model="gpt-image-1", image=("c.png", png(), "image/png"), prompt="x"
    )
    assert single.data is not None and len(single.data) == 1


async def test_sora_create_poll_download_and_delete(sim: OpenAISimulator) -> None:
    sdk = client(sim)
    video = await asyncio.to_thread(
        sdk.videos.create,
        model="sora-2",
        prompt="slow push in on the keeper",
        seconds="4",
        size="1280x720",
        input_reference=("ref.png", png((1280, 720)), "image/png"),
    )
    assert video.status == "queued" and video.seconds == "4" and video.size == "1280x720"
    statuses: list[str] = [video.status]
    deadline = time.monotonic() + 30
    while video.status not in ("completed", "failed") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        video = await asyncio.to_thread(sdk.videos.retrieve, video.id)
        statuses.append(video.status)
    assert video.status == "completed" and video.progress == 100
    assert video.expires_at is not None and video.completed_at is not None
    assert "in_progress" in statuses
    content = await asyncio.to_thread(sdk.videos.download_content, video.id)
    assert content.read()[4:8] == b"ftyp"
    thumb = await asyncio.to_thread(sdk.videos.download_content, video.id, variant="thumbnail")
    assert thumb.read()[8:12] == b"WEBP"

    listed = await asyncio.to_thread(sdk.videos.list)
    assert [v.id for v in listed.data] == [video.id]
    deleted = await asyncio.to_thread(sdk.videos.delete, video.id)
    assert deleted.deleted and deleted.object == "video.deleted"
    with pytest.raises(openai.NotFoundError):
        await asyncio.to_thread(sdk.videos.retrieve, video.id)


async def test_sora_text_only_and_a_moderated_job(sim: OpenAISimulator) -> None:
    sdk = client(sim)
    video = await asyncio.to_thread(sdk.videos.create, prompt="BLOCKME a storm")
    assert video.model == "sora-2" and video.size == "720x1280"  # the API's defaults
    deadline = time.monotonic() + 30
    while video.status not in ("completed", "failed") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        video = await asyncio.to_thread(sdk.videos.retrieve, video.id)
    assert video.status == "failed"
    assert video.error is not None and video.error.code == "moderation_blocked"


async def test_errors_surface_as_the_sdks_own_exceptions(sim: OpenAISimulator) -> None:
    wrong = client(sim, "sk-wrong")
    with pytest.raises(openai.AuthenticationError) as auth:
        await asyncio.to_thread(wrong.images.generate, model="gpt-image-1", prompt="x")
    assert auth.value.code == "invalid_api_key"

    sdk = client(sim)
    with pytest.raises(openai.BadRequestError) as bad:
        await asyncio.to_thread(
            sdk.images.generate, model="gpt-image-1", prompt="x", size="512x512"
        )
    assert bad.value.param == "size" and bad.value.code == "invalid_value"
    with pytest.raises(openai.BadRequestError) as reference:
        await asyncio.to_thread(
            sdk.videos.create,
            prompt="x",
            size="1280x720",
            input_reference=("ref.png", png((640, 360)), "image/png"),
        )
    assert reference.value.param == "input_reference"
    with pytest.raises(openai.BadRequestError) as blocked:
        await asyncio.to_thread(sdk.images.generate, model="gpt-image-1", prompt="BLOCKME")
    assert blocked.value.code == "moderation_blocked"

    sim.burst_429 = 1
    with pytest.raises(openai.RateLimitError) as limited:
        await asyncio.to_thread(sdk.images.generate, model="gpt-image-1", prompt="x")
    assert limited.value.code == "rate_limit_exceeded"
    assert limited.value.response.headers["x-ratelimit-remaining-requests"] == "0"
    sim.quota_exhausted = True
    with pytest.raises(openai.RateLimitError) as broke:
        await asyncio.to_thread(sdk.videos.create, prompt="x")
    assert broke.value.code == "insufficient_quota"
    assert sum(sim.submissions.values()) == 0


async def test_chat_completions_answer_a_plan_with_token_usage(sim: OpenAISimulator) -> None:
    sdk = client(sim)
    prompt = "storyreel-plan-v1\nINPUT:\n" + '{"story": "Mira runs. She waves."}' + "\nEND INPUT"
    answer = await asyncio.to_thread(
        sdk.chat.completions.create,
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "JSON only"}, {"role": "user", "content": prompt}],
    )
    content = answer.choices[0].message.content
    assert content is not None and '"beats"' in content
    assert answer.usage is not None and answer.usage.completion_tokens > 0
    with pytest.raises(openai.NotFoundError):
        await asyncio.to_thread(
            sdk.chat.completions.create,
            model="gpt-nope",
            messages=[{"role": "user", "content": "hi"}],
        )
