"""OpenAI's ``POST /v1/audio/speech``, simulated: the same checks the real endpoint makes
(model, voice, format, speed, input length, instructions only on gpt-4o-mini-tts), and an
answer that is a real audio file whose length follows the text (``fake_speech``)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from storyreel.media.scratch_voice import fake_speech, speech_samples
from storyreel.providers.openai_speech import (
    FORMATS,
    INSTRUCTION_MODELS,
    MAX_INPUT_CHARS,
    SPEECH_MODELS,
    SPEED_RANGE,
    VOICES,
)

if TYPE_CHECKING:
    from .openai import OpenAISimulator

SPEECH_KEYS = frozenset(
    {"model", "input", "voice", "response_format", "speed", "instructions", "stream_format"}
)
_MIMES = FORMATS | {"pcm": "audio/pcm"}


def _check(sim: OpenAISimulator, body: dict[str, Any]) -> Response | None:
    unknown = sorted(set(body) - SPEECH_KEYS)
    if unknown:
        return sim._error(400, f"Unknown parameter: '{unknown[0]}'.", param=unknown[0])
    for key in ("model", "input", "voice"):
        if not body.get(key):
            return sim._error(
                400,
                f"Missing required parameter: '{key}'.",
                param=key,
                code="missing_required_parameter",
            )
    if body["model"] not in SPEECH_MODELS:
        return sim._invalid("model", body["model"], sorted(SPEECH_MODELS))
    voice = body["voice"]
    if not isinstance(voice, dict) and voice not in VOICES:
        return sim._invalid("voice", voice, list(VOICES))
    text = body["input"]
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        return sim._error(
            400,
            f"Invalid 'input': string too long. Expected a string with maximum length "
            f"{MAX_INPUT_CHARS}.",
            param="input",
            code="string_above_max_length",
        )
    fmt = body.get("response_format", "mp3")
    if fmt not in _MIMES:
        return sim._invalid("response_format", fmt, list(_MIMES))
    speed = body.get("speed", 1.0)
    if not isinstance(speed, int | float) or not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
        return sim._error(400, f"Invalid 'speed': {speed}.", param="speed", code="invalid_value")
    if body.get("instructions") and body["model"] not in INSTRUCTION_MODELS:
        return sim._error(
            400, "instructions are not supported for this model", param="instructions"
        )
    return None


async def create_speech(sim: OpenAISimulator, request: Request) -> Response:
    parsed = await sim._accept(request)
    if isinstance(parsed, Response):
        return parsed
    body, files = parsed
    if files:
        return sim._error(400, "Expected a JSON body.")
    if (refused := _check(sim, body)) is not None:
        return refused
    # The job's own render (``Simulator._render``) reads ``prompt``: the text to say.
    job = sim.start_job(
        body["model"],
        "audio",
        {**body, "prompt": body["input"]},
        job_id=f"tts_{secrets.token_hex(12)}",
    )
    await sim.finish_now(job)
    if job.state != "succeeded":
        return sim._error(
            500,
            "The server had an error while processing your request. Sorry about that!",
            error_type="server_error",
        )
    fmt = body.get("response_format", "mp3")
    speed = float(body.get("speed", 1.0))
    if fmt == "pcm":  # raw 24 kHz 16-bit mono, as the real endpoint sends it
        data = speech_samples(body["input"], speed=speed).tobytes()
    else:
        data = fake_speech(body["input"], fmt=fmt, speed=speed)
    headers = sim.headers()
    return Response(data, media_type=_MIMES[fmt], headers=headers)
