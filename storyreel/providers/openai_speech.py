"""OpenAI text-to-speech (``POST /v1/audio/speech``): the wire rules in one place.

The endpoint answers the audio file itself, synchronously, so the adapter treats it as it
treats image calls: the submit writes the file into its scratch dir and the handle says the
job is done. What the API accepts (models, voices, formats, speed, the 4096-character
limit, ``instructions`` only on the gpt-4o-mini-tts models) is shared with the simulator,
so the two cannot drift apart. Source: platform.openai.com API reference, "Create speech".
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from storyreel.errors import InputError, MediaError
from storyreel.media.audio import probe_audio
from storyreel.providers.types import Handle
from storyreel.vocabulary import GenerationRequest, Task

if TYPE_CHECKING:
    from storyreel.providers.openai import OpenAIProvider

SPEECH_PATH = "v1/audio/speech"
SPEECH_MODELS = frozenset({"tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15"})
INSTRUCTION_MODELS = frozenset({"gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15"})
VOICES = (
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "fable",
    "onyx",
    "nova",
    "sage",
    "shimmer",
    "verse",
    "marin",
    "cedar",
)
DEFAULT_VOICE = "alloy"
FORMATS = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
}
"""Formats storyreel asks for (``pcm`` is headerless and needs its rate to be known)."""
MAX_INPUT_CHARS = 4096
SPEED_RANGE = (0.25, 4.0)


def is_speech_model(model: str) -> bool:
    return model in SPEECH_MODELS


def speech_body(req: GenerationRequest) -> dict[str, Any]:
    """The JSON body for ``req``; bad values are an InputError before any call."""
    if req.task is not Task.SPEECH or not is_speech_model(req.model_name):
        raise InputError(f"openai: {req.model_name} cannot do {req.task}")
    text = req.prompt
    if not text.strip():
        raise InputError("openai speech needs text to say (the prompt)")
    if len(text) > MAX_INPUT_CHARS:
        raise InputError(
            f"openai speech takes at most {MAX_INPUT_CHARS} characters, got {len(text)}"
        )
    voice = str(req.extra.get("voice") or DEFAULT_VOICE)
    if voice not in VOICES:
        raise InputError(f"openai voice {voice!r} is not one of {', '.join(VOICES)}")
    fmt = str(req.extra.get("format") or "mp3")
    if fmt not in FORMATS:
        raise InputError(f"openai speech format {fmt!r} is not one of {', '.join(FORMATS)}")
    body: dict[str, Any] = {
        "model": req.model_name,
        "input": text,
        "voice": voice,
        "response_format": fmt,
    }
    if (speed := req.extra.get("speed")) is not None:
        value = float(speed)
        if not SPEED_RANGE[0] <= value <= SPEED_RANGE[1]:
            raise InputError(f"openai speech speed must be from 0.25 to 4.0, got {speed}")
        body["speed"] = value
    if instructions := req.extra.get("instructions"):
        if req.model_name not in INSTRUCTION_MODELS:
            raise InputError(f"openai {req.model_name} takes no voice instructions")
        body["instructions"] = str(instructions)
    return body


async def submit_speech(provider: OpenAIProvider, req: GenerationRequest, job_id: str) -> Handle:
    """Call the endpoint; the audio comes back in the answer, is kept in the provider's
    scratch dir, and the handle says the job is already done."""
    body = speech_body(req)
    response = await provider._call("POST", SPEECH_PATH, json=body)
    mime = FORMATS[body["response_format"]]
    path = provider.scratch_path(job_id, "." + body["response_format"])
    await asyncio.to_thread(path.write_bytes, response.content)
    try:  # the seconds spoken: what a voice billed by the second costs
        usage = {"seconds": round((await asyncio.to_thread(probe_audio, path)).duration, 3)}
    except MediaError:
        usage = {}
    return Handle.answered(
        provider=provider.name,
        request_id=response.headers.get("x-request-id") or job_id,
        data={"kind": "speech", "outputs": [{"file": path.name, "mime": mime}], "usage": usage},
    )
