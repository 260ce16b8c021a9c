"""OpenAI's ``POST /v1/chat/completions``, simulated (the wire OpenAI-compatible servers
share): bearer auth, the model checked, ``messages`` checked, and an answer in the real
response shape with token ``usage``. What is said comes from ``chat.chat_answer``: a plan
for the story planner's prompt, queued test answers first."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from storyreel.providers.openai_chat import CHAT_MODELS

from .chat import chat_answer

if TYPE_CHECKING:
    from .openai import OpenAISimulator


async def create_chat(sim: OpenAISimulator, request: Request) -> Response:
    parsed = await sim._accept(request)
    if isinstance(parsed, Response):
        return parsed
    body, files = parsed
    if files:
        return sim._error(400, "Expected a JSON body.")
    model = body.get("model")
    if not model:
        return sim._error(
            400,
            "you must provide a model parameter",
            param="model",
            code="missing_required_parameter",
        )
    if model not in CHAT_MODELS:
        return sim._error(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    messages = body.get("messages")
    valid = (
        isinstance(messages, list)
        and messages
        and all(isinstance(m, dict) and m.get("role") and "content" in m for m in messages)
    )
    if not valid:
        return sim._error(
            400, "Invalid 'messages': expected a non-empty array of messages.", param="messages"
        )
    assert isinstance(messages, list)
    job = sim.start_job(str(model), "text", body)
    await sim.finish_now(job)
    if job.state != "succeeded":
        return sim._error(
            500,
            "The server had an error while processing your request. Sorry about that!",
            error_type="server_error",
        )
    answer = chat_answer(sim, messages)
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages) + 3
    completion_tokens = len(answer.split())
    return sim._json(
        {
            "id": f"chatcmpl-{job.id}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer, "refusal": None},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )
