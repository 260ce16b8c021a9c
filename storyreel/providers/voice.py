"""The ``voice`` provider: text-to-speech on this machine.

``voice:scratch`` reads narration offline as a scratch track (one pitched syllable per
word, as long as a narrator would take), so a story with narration runs end to end with no
key: timing, ducking and subtitles are right, the real voice comes later. ``voice:piper``
speaks with piper-tts (``pip install storyreel[piper]``) and a voice model file (``.onnx``)
the user supplies in ``sound.voice`` / ``extra["voice"]``.
"""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

from storyreel.errors import ConfigError, InputError
from storyreel.media.scratch_voice import fake_speech
from storyreel.providers.local import LocalProvider
from storyreel.providers.registry import Register
from storyreel.providers.types import Handle
from storyreel.vocabulary import GenerationRequest, Task

MODELS = ("scratch", "piper")


class VoiceProvider(LocalProvider):
    name = "voice"
    tasks = frozenset({Task.SPEECH})
    output_mime = "audio/wav"

    def check(self, req: GenerationRequest) -> None:
        super().check(req)
        if req.model_name not in MODELS:
            raise InputError(f"voice has models {', '.join(MODELS)}, not {req.model_name!r}")
        if not req.prompt.strip():
            raise InputError("voice needs text to say")
        if req.model_name == "piper":
            _piper_voice_file(req)

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        self.check(req)
        out = self.scratch_path(f"{self.name}-{job_id}", ".wav")
        if req.model_name == "piper":
            await asyncio.to_thread(_speak_piper, req, out)
        else:
            speed = float(req.extra.get("speed") or 1.0)
            data = await asyncio.to_thread(fake_speech, req.prompt, fmt="wav", speed=speed)
            await asyncio.to_thread(out.write_bytes, data)
        return self.local_handle(job_id, [out])


def _piper_voice_file(req: GenerationRequest) -> Path:
    named = req.extra.get("voice")
    if not named:
        raise InputError("voice:piper needs a voice model file (.onnx): set sound.voice")
    path = Path(str(named)).expanduser()
    if path.suffix != ".onnx" or not path.is_file():
        raise InputError(f"voice:piper: {path} is not a piper voice model file (.onnx)")
    return path


def _speak_piper(req: GenerationRequest, out: Path) -> None:
    try:
        from piper import PiperVoice  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        raise ConfigError("voice:piper needs piper-tts: pip install 'storyreel[piper]'") from exc
    voice = PiperVoice.load(str(_piper_voice_file(req)))
    with wave.open(str(out), "wb") as handle:
        voice.synthesize_wav(req.prompt, handle)


def register_providers(register: Register) -> None:
    register(VoiceProvider)
