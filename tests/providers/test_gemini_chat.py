"""Gemini's text wire: the body carries the system instruction and JSON mode, and the
answer is the first candidate's text without its thought parts, or the block reason when
there is no candidate."""

from __future__ import annotations

from storyreel.providers.gemini_chat import _answer, text_body
from storyreel.vocabulary import GenerationRequest, Task


def test_the_body_carries_system_instruction_and_json_mode() -> None:
    plain = GenerationRequest(task=Task.CHAT, model="gemini:gemini-2.5-flash", prompt="Hi")
    assert text_body(plain) == {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}
    full = plain.model_copy(update={"extra": {"system": "Be brief.", "json": True}})
    body = text_body(full)
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["generationConfig"] == {"responseMimeType": "application/json"}


def test_the_answer_skips_thoughts() -> None:
    data = {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"text": "thinking...", "thought": True},
                        {"text": "Hello, "},
                        "junk",
                        {"text": "world."},
                    ]
                },
                "finishReason": "STOP",
            },
            {"content": {"parts": [{"text": "second"}]}},
        ]
    }
    assert _answer(data) == ("Hello, world.", "STOP")


def test_no_candidate_gives_the_block_reason() -> None:
    assert _answer({"promptFeedback": {"blockReason": "SAFETY"}}) == ("", "SAFETY")
    assert _answer({}) == ("", "NO_CANDIDATE")
    assert _answer({"candidates": [{"finishReason": "MAX_TOKENS"}]}) == ("", "MAX_TOKENS")
    assert _answer({"candidates": ["junk"]}) == ("", "STOP")
