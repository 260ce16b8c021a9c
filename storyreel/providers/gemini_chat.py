"""Gemini text generation (the story planner's Gemini models): ``POST
/v1beta/models/{model}:generateContent`` with text parts only, answered synchronously with
``candidates[0].content.parts[].text`` and ``usageMetadata`` token counts.

The answer is kept exactly as the OpenAI-shaped chat wire keeps it (``chat_completions``:
a scratch ``.txt`` file, token usage, an empty answer's reason), so polling and results are
shared. ``extra["system"]`` becomes ``systemInstruction``; ``extra["json"]`` asks for
``application/json``. Thought parts (``thought: true``) are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storyreel.errors import ProviderAPIError
from storyreel.providers.chat_completions import CHAT_KIND
from storyreel.providers.remote import RemoteProvider
from storyreel.providers.types import Handle
from storyreel.vocabulary import GenerationRequest

TEXT_MODELS = frozenset({"gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"})
_SAFETY = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"}


def text_body(req: GenerationRequest) -> dict[str, Any]:
    body: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": req.prompt}]}]}
    if system := req.extra.get("system"):
        body["systemInstruction"] = {"parts": [{"text": str(system)}]}
    if req.extra.get("json"):
        body["generationConfig"] = {"responseMimeType": "application/json"}
    return body


def _answer(data: Mapping[str, Any]) -> tuple[str, str]:
    """(text, finish reason) of the first candidate; an empty text when there is none."""
    candidates = data.get("candidates") or []
    if not candidates:
        feedback = data.get("promptFeedback") or {}
        return "", str(feedback.get("blockReason") or "NO_CANDIDATE")
    first = candidates[0] if isinstance(candidates[0], Mapping) else {}
    parts = (first.get("content") or {}).get("parts") or []
    text = "".join(
        str(p.get("text", "")) for p in parts if isinstance(p, Mapping) and not p.get("thought")
    )
    return text, str(first.get("finishReason") or "STOP")


async def submit_text(provider: RemoteProvider, req: GenerationRequest, job_id: str) -> Handle:
    response = await provider.call(
        "POST", f"v1beta/models/{req.model_name}:generateContent", json=text_body(req)
    )
    data = response.json()
    if not isinstance(data, dict):
        raise ProviderAPIError(f"{provider.name}: unexpected answer", provider=provider.name)
    text, reason = _answer(data)
    meta = data.get("usageMetadata") or {}
    info: dict[str, Any] = {
        "kind": CHAT_KIND,
        "model": req.model_name,
        "finish_reason": "content_filter" if reason in _SAFETY else reason,
        "usage": {
            "prompt_tokens": meta.get("promptTokenCount"),
            "completion_tokens": meta.get("candidatesTokenCount"),
        },
    }
    if text:
        target = provider.scratch_path(job_id, ".txt")
        target.write_text(text, encoding="utf-8")
        info["path"] = str(target)
    else:
        info["error"] = f"no answer (finishReason {reason})"
    return Handle.answered(
        provider=provider.name, request_id=str(data.get("responseId") or job_id), data=info
    )
