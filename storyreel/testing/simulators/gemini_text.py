"""Gemini ``generateContent`` on a text model, simulated: the text parts of ``contents``
(and ``systemInstruction``) in, one candidate with a text part and ``usageMetadata`` out.
What is said comes from ``chat.chat_answer``: a plan for the story planner's prompt."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from .chat import chat_answer

if TYPE_CHECKING:
    from .gemini import GeminiSimulator


def _texts(content: Any) -> str:
    parts = content.get("parts") if isinstance(content, dict) else None
    return "".join(str(p.get("text", "")) for p in parts or [] if isinstance(p, dict))


async def generate_text(sim: GeminiSimulator, model: str, body: dict[str, Any]) -> Response:
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents or not _texts(contents[-1]):
        return JSONResponse(
            {
                "error": {
                    "code": 400,
                    "message": "* contents: must not be empty",
                    "status": "INVALID_ARGUMENT",
                }
            },
            status_code=400,
        )
    messages = [{"role": "system", "content": _texts(body.get("systemInstruction"))}]
    messages += [{"role": "user", "content": _texts(c)} for c in contents]
    job = sim.start_job(model, "text", body)
    await sim.finish_now(job)
    if job.state != "succeeded":
        return JSONResponse(
            {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}},
            status_code=500,
        )
    answer = chat_answer(sim, messages)
    prompt = sum(len(m["content"].split()) for m in messages)
    return JSONResponse(
        {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": answer}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": prompt,
                "candidatesTokenCount": len(answer.split()),
                "totalTokenCount": prompt + len(answer.split()),
            },
            "modelVersion": model,
            "responseId": secrets.token_urlsafe(12),
        }
    )
