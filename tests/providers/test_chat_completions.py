"""The one OpenAI-compatible chat wire: the body carries the system prompt and JSON mode,
a chat with reference images is refused before any call, an empty answer is SAFETY only
when the model refused, and token counts are read only where they are counts."""

from __future__ import annotations

import pytest

from storyreel.errors import FailureReason, InputError
from storyreel.providers.chat_completions import (
    chat_body,
    chat_failure,
    chat_status,
    chat_usage,
    check_chat,
)
from storyreel.providers.types import Handle, JobState
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task


def chat(**extra: object) -> GenerationRequest:
    return GenerationRequest(task=Task.CHAT, model="openai:gpt-4o", prompt="Plan it.", extra=extra)


def test_the_body_carries_system_prompt_and_json_mode() -> None:
    assert chat_body(chat()) == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Plan it."}],
    }
    body = chat_body(chat(system="You plan stories.", json=True), {"temperature": 0})
    assert body["messages"] == [
        {"role": "system", "content": "You plan stories."},
        {"role": "user", "content": "Plan it."},
    ]
    assert body["response_format"] == {"type": "json_object"}
    assert body["temperature"] == 0


def test_a_chat_with_reference_images_is_refused() -> None:
    check_chat("openai", chat())
    ref = Reference(role=RefRole.STYLE, asset="ab" * 32)
    with_ref = chat().model_copy(update={"references": (ref,)})
    with pytest.raises(InputError, match="openai chat takes no reference images"):
        check_chat("openai", with_ref)


@pytest.mark.parametrize(
    ("finish", "refused", "reason"),
    [
        ("content_filter", False, FailureReason.SAFETY),
        ("stop", True, FailureReason.SAFETY),
        ("length", False, FailureReason.MODEL_FAILED),
        ("stop", False, FailureReason.MODEL_FAILED),
    ],
)
def test_an_empty_answer_is_safety_only_when_refused(
    finish: str, refused: bool, reason: FailureReason
) -> None:
    assert chat_failure(finish, refused=refused) is reason


def test_usage_reads_only_counts() -> None:
    usage = chat_usage({"usage": {"prompt_tokens": 12, "completion_tokens": 40}})
    assert usage is not None and (usage.input_tokens, usage.output_tokens) == (12, 40)
    odd = chat_usage({"usage": {"prompt_tokens": -1, "completion_tokens": "40"}})
    assert odd is not None and (odd.input_tokens, odd.output_tokens) == (None, None)
    assert chat_usage({"usage": None}) is None
    assert chat_usage({}) is None


def test_status_of_a_failed_and_a_finished_answer() -> None:
    failed = chat_status(
        Handle(
            provider="openai",
            request_id="r",
            data={"error": "empty answer", "finish_reason": "content_filter", "usage": {}},
        )
    )
    assert failed.state is JobState.FAILED
    assert failed.error_reason is FailureReason.SAFETY
    assert failed.message == "empty answer (finish_reason content_filter)"
    done = chat_status(
        Handle(provider="openai", request_id="r", data={"usage": {"prompt_tokens": 3}})
    )
    assert done.state is JobState.SUCCEEDED
    assert done.usage is not None and done.usage.input_tokens == 3
