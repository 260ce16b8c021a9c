"""ModelsLab's LLM API, simulated: ``POST /api/v7/llm/chat/completions``, OpenAI-shaped
(reference/providers-others.md A.6). The docs put the key in ``Authorization: Bearer``
and the skill file in the body as ``key``; both are accepted, as the reference advises."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .chat import chat_answer

if TYPE_CHECKING:
    from .modelslab import ModelsLabSimulator

LLM_PATH = "/api/v7/llm/chat/completions"
LLM_MODELS = frozenset({"meta-llama-3-8B-instruct", "deepseek-ai-DeepSeek-V3"})


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error"}}, status)


async def create_chat(sim: ModelsLabSimulator, request: Request) -> Response:
    body = await sim._body(request)
    if body is None:
        return _error("Invalid JSON body", 400)
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
    if sim.config.api_key not in (bearer, body.get("key")):
        return _error("Invalid Api Key", 401)
    model, messages = body.get("model"), body.get("messages")
    if model not in LLM_MODELS:
        return _error(f"model {model!r} is not available", 404)
    if (
        not isinstance(messages, list)
        or not messages
        or not all(isinstance(m, dict) and m.get("role") and "content" in m for m in messages)
    ):
        return _error("messages: a non-empty list of {role, content} is required", 400)
    job = sim.start_job(str(model), "text", body)
    await sim.finish_now(job)
    if job.state != "succeeded":
        return _error("Internal server error", 500)
    answer = chat_answer(sim, messages)
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages) + 3
    completion_tokens = len(answer.split())
    return JSONResponse(
        {
            "id": f"chatcmpl-{job.id}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )
