"""The local ``voice`` provider: the offline scratch narrator, and piper when installed."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from storyreel.config import ProviderSettings
from storyreel.errors import InputError
from storyreel.media.audio import probe_audio
from storyreel.media.scratch_voice import speech_seconds
from storyreel.providers.base import ProviderContext
from storyreel.providers.voice import VoiceProvider
from storyreel.store.assets import AssetStore
from storyreel.vocabulary import GenerationRequest, Task

LINE = "Mira runs along the harbour wall as the storm breaks."


def provider(tmp_path: Path) -> VoiceProvider:
    ctx = ProviderContext(ProviderSettings(), AssetStore(tmp_path / "a"), tmp_path / "scratch")
    return VoiceProvider(ctx)


def say(model: str, text: str = LINE, **extra: object) -> GenerationRequest:
    return GenerationRequest(task=Task.SPEECH, model=f"voice:{model}", prompt=text, extra=extra)


async def _spoken(voice: VoiceProvider, req: GenerationRequest) -> Path:
    handle = await voice.submit(req, job_id="j", webhook_url=None)
    for _ in range(100):
        if (await voice.poll(handle)).state.terminal:
            break
        await asyncio.sleep(0.02)
    [artifact] = await voice.result(handle)
    assert artifact.path is not None and artifact.mime == "audio/wav"
    return artifact.path


async def test_scratch_voice_is_as_long_as_a_narrator(tmp_path: Path) -> None:
    path = await _spoken(provider(tmp_path), say("scratch"))
    assert probe_audio(path).duration == pytest.approx(speech_seconds(LINE), abs=0.05)
    fast = await _spoken(provider(tmp_path / "f"), say("scratch", speed=2.0))
    assert probe_audio(fast).duration < probe_audio(path).duration


def test_bad_requests_are_refused(tmp_path: Path) -> None:
    voice = provider(tmp_path)
    with pytest.raises(InputError, match="models scratch, piper"):
        voice.check(say("robot"))
    with pytest.raises(InputError, match="text to say"):
        voice.check(say("scratch", "   "))
    with pytest.raises(InputError, match="voice model file"):
        voice.check(say("piper"))
    with pytest.raises(InputError, match="not a piper voice"):
        voice.check(say("piper", voice=str(tmp_path / "missing.onnx")))


async def test_piper_speaks_with_the_users_voice_file(tmp_path: Path) -> None:
    pytest.importorskip("piper")
    voice_file = os.environ.get("STORYREEL_TEST_PIPER_VOICE")
    if not voice_file:
        pytest.skip("set STORYREEL_TEST_PIPER_VOICE to a piper .onnx voice to run this")
    path = await _spoken(provider(tmp_path), say("piper", voice=voice_file))
    assert probe_audio(path).duration > 1.0
