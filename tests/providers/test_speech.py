"""Text-to-speech adapters against their simulators: OpenAI's ``/v1/audio/speech`` (also
through the official ``openai`` SDK) and ModelsLab's v7 voice route. Every answer must be
real audio whose length follows the text, and each is priced as its provider bills."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx2
import openai
import pytest

from storyreel.catalog import Catalog, billing
from storyreel.config import ProviderSettings, Settings
from storyreel.errors import InputError
from storyreel.media.audio import probe_audio
from storyreel.media.scratch_voice import speech_seconds
from storyreel.providers.base import ProviderContext
from storyreel.providers.modelslab import ModelsLabProvider
from storyreel.providers.openai import OpenAIProvider
from storyreel.providers.types import JobState, Usage
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.vocabulary import GenerationRequest, Task

LINE = "At dusk a storm gathers over the harbour, and Mira runs along the wall."


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    config = SimConfig(latency=0.1, video_latency=0.2)
    async with serve_simulators(
        config, providers=["openai", "modelslab"], files_dir=tmp_path / "sim"
    ) as sims:
        yield sims


def _ctx(suite: SimulatorSuite, tmp_path: Path, name: str) -> ProviderContext:
    settings = ProviderSettings(base_url=suite[name].mount_url(), api_key="sim-key")
    return ProviderContext(settings, AssetStore(tmp_path / "assets"), tmp_path / "scratch")


def speech(model: str, text: str = LINE, **extra: object) -> GenerationRequest:
    return GenerationRequest(task=Task.SPEECH, model=model, prompt=text, extra=dict(extra))


@pytest.mark.parametrize(("fmt", "codec"), [("mp3", "mp3"), ("wav", "pcm"), ("flac", "flac")])
async def test_openai_speech_is_real_audio_of_the_text(
    suite: SimulatorSuite, tmp_path: Path, fmt: str, codec: str
) -> None:
    provider = OpenAIProvider(_ctx(suite, tmp_path, "openai"))
    try:
        req = speech("openai:tts-1", voice="nova", format=fmt, speed=1.0)
        provider.check(req)
        handle = await provider.submit(req, job_id="j1", webhook_url=None)
        status = await provider.poll(handle)
        assert status.state is JobState.SUCCEEDED
        assert status.usage is not None and status.usage.seconds is not None
        assert status.usage.seconds == pytest.approx(speech_seconds(LINE), abs=0.1)
        [artifact] = await provider.result(handle)
    finally:
        await provider.aclose()
    assert artifact.path is not None
    info = probe_audio(artifact.path)
    assert info.codec.startswith(codec)
    assert info.duration == pytest.approx(speech_seconds(LINE), abs=0.1)
    body = suite["openai"].requests[-1]["body"]
    assert body == {
        "model": "tts-1",
        "input": LINE,
        "voice": "nova",
        "response_format": fmt,
        "speed": 1.0,
    }


async def test_openai_speech_refuses_what_the_api_refuses(
    suite: SimulatorSuite, tmp_path: Path
) -> None:
    provider = OpenAIProvider(_ctx(suite, tmp_path, "openai"))
    try:
        for req, message in [
            (speech("openai:tts-1", voice="robot"), "voice"),
            (speech("openai:tts-1", instructions="whisper"), "instructions"),
            (speech("openai:tts-1", "x" * 4097), "4096"),
            (speech("openai:tts-1", speed=9), "speed"),
            (speech("openai:tts-1", "   "), "text"),
        ]:
            with pytest.raises(InputError, match=message):
                provider.check(req)
        with pytest.raises(InputError):
            provider.check(GenerationRequest(task=Task.TEXT_TO_IMAGE, model="openai:tts-1"))
        provider.check(speech("openai:gpt-4o-mini-tts", instructions="calm, low"))
    finally:
        await provider.aclose()
    assert not suite["openai"].submissions


async def test_the_official_sdk_speaks_to_the_simulator(suite: SimulatorSuite) -> None:
    sdk = openai.OpenAI(
        base_url=f"{suite['openai'].mount_url()}/v1", api_key="sim-key", max_retries=0
    )
    answer = await asyncio.to_thread(
        sdk.audio.speech.create,
        model="gpt-4o-mini-tts",
        voice="coral",
        input=LINE,
        instructions="Speak like a lighthouse keeper.",
        response_format="mp3",
    )
    info = probe_audio(answer.content)
    assert info.duration == pytest.approx(speech_seconds(LINE), abs=0.1)
    with pytest.raises(openai.BadRequestError):
        await asyncio.to_thread(
            sdk.audio.speech.create, model="tts-1", voice="alloy", input=LINE, speed=5.0
        )
    with pytest.raises(openai.AuthenticationError):
        bad = openai.OpenAI(
            base_url=f"{suite['openai'].mount_url()}/v1", api_key="wrong", max_retries=0
        )
        await asyncio.to_thread(bad.audio.speech.create, model="tts-1", voice="alloy", input="x")


async def test_modelslab_voice_reads_the_prompt(suite: SimulatorSuite, tmp_path: Path) -> None:
    provider = ModelsLabProvider(_ctx(suite, tmp_path, "modelslab"))
    try:
        req = speech("modelslab:eleven_multilingual_v2", voice="pNInz6obpgDQGcFmaJgB")
        handle = await provider.submit(req, job_id="v1", webhook_url=None)
        for _ in range(100):
            if (await provider.poll(handle)).state.terminal:
                break
            await asyncio.sleep(0.05)
        [artifact] = await provider.result(handle)
    finally:
        await provider.aclose()
    assert artifact.url is not None
    async with httpx2.AsyncClient() as client:
        data = (await client.get(artifact.url)).content
    assert probe_audio(data).duration == pytest.approx(speech_seconds(LINE), abs=0.1)
    body = suite["modelslab"].requests[0]["body"]
    assert body["prompt"] == LINE and body["voice_id"] == "pNInz6obpgDQGcFmaJgB"


def test_speech_is_priced_as_each_provider_bills(tmp_path: Path) -> None:
    catalog = Catalog.load(Settings(data_dir=tmp_path))
    per_char = speech("openai:tts-1", "x" * 2000)
    assert billing.estimate(catalog, per_char) == Decimal("0.030000")  # $15 / 1M chars
    hd = speech("openai:tts-1-hd", "x" * 2000)
    assert billing.estimate(catalog, hd) == Decimal("0.060000")
    timed = speech("openai:gpt-4o-mini-tts").model_copy(update={"duration": 4.0})
    assert billing.estimate(catalog, timed) == Decimal("0.001000")  # $0.015 a minute
    produced = billing.final_cost(
        catalog, timed, accepted=True, succeeded=True, usage=Usage(seconds=60.0)
    )
    assert produced == Decimal("0.015000")
    plan = speech("modelslab:eleven_multilingual_v2")
    assert billing.estimate(catalog, plan) == Decimal(0)
