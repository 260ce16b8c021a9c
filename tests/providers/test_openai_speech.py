"""OpenAI text-to-speech's wire rules, before any call: the body carries exactly what was
asked, and every value the API would refuse (model, voice, format, speed, length,
instructions on a model without them) is one InputError naming the allowed values."""

from __future__ import annotations

from typing import Any

import pytest

from storyreel.errors import InputError
from storyreel.providers.openai_speech import MAX_INPUT_CHARS, is_speech_model, speech_body
from storyreel.vocabulary import GenerationRequest, Task


def speech(
    model: str = "openai:tts-1", text: str = "Hello there.", **extra: Any
) -> GenerationRequest:
    return GenerationRequest(task=Task.SPEECH, model=model, prompt=text, extra=dict(extra))


def test_the_body_has_the_defaults() -> None:
    assert speech_body(speech()) == {
        "model": "tts-1",
        "input": "Hello there.",
        "voice": "alloy",
        "response_format": "mp3",
    }


def test_the_body_carries_what_was_asked() -> None:
    body = speech_body(
        speech(
            "openai:gpt-4o-mini-tts",
            voice="nova",
            format="wav",
            speed="1.5",
            instructions="calm, low",
        )
    )
    assert body == {
        "model": "gpt-4o-mini-tts",
        "input": "Hello there.",
        "voice": "nova",
        "response_format": "wav",
        "speed": 1.5,
        "instructions": "calm, low",
    }


def test_the_longest_text_is_accepted() -> None:
    assert speech_body(speech(text="a" * MAX_INPUT_CHARS))["input"] == "a" * MAX_INPUT_CHARS


@pytest.mark.parametrize(
    ("req", "message"),
    [
        (speech("openai:gpt-image-1"), "openai: gpt-image-1 cannot do speech"),
        (
            GenerationRequest(task=Task.TEXT_TO_IMAGE, model="openai:tts-1", prompt="x"),
            "cannot do",
        ),
        (speech(text="  \n"), "needs text to say"),
        (speech(text="a" * (MAX_INPUT_CHARS + 1)), "at most 4096 characters, got 4097"),
        (speech(voice="bob"), "openai voice 'bob' is not one of alloy, ash"),
        (speech(format="pcm"), "format 'pcm' is not one of mp3, opus"),
        (speech(speed=4.5), "speed must be from 0.25 to 4.0, got 4.5"),
        (speech(speed=0.2), "got 0.2"),
        (speech(instructions="whisper"), "openai tts-1 takes no voice instructions"),
    ],
)
def test_what_the_api_would_refuse_is_one_input_error(req: GenerationRequest, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        speech_body(req)


def test_only_the_speech_models_are_speech_models() -> None:
    assert is_speech_model("tts-1-hd")
    assert not is_speech_model("gpt-4o")
    assert not is_speech_model("openai:tts-1")  # the bare model name, not storyreel's id
