"""OpenAI-compatible chat completions, the one wire that OpenAI, AIML API, ModelsLab's LLM
API and local servers (Ollama, vLLM, llama.cpp, LM Studio) share.

``POST {base}/chat/completions`` with ``{"model", "messages"}`` answers at once with
``choices[0].message.content`` and ``usage{prompt_tokens, completion_tokens}``
(reference/providers-others.md B.2, A.6). The adapter treats it as it treats a synchronous
image call: the submit writes the answer into a scratch ``.txt`` file and keeps the token
usage in the handle, and the poll reports the job done (or failed: an empty answer whose
``finish_reason`` or ``refusal`` says why). ``extra["system"]`` becomes a system message;
``extra["json"]`` asks for a JSON object (``response_format``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from storyreel.errors import FailureReason, InputError, ProviderAPIError
from storyreel.providers.remote import RemoteProvider
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status, Usage
from storyreel.vocabulary import GenerationRequest, Task

CHAT_KIND = "chat"


def check_chat(provider: str, req: GenerationRequest) -> None:
    if req.task is Task.CHAT and req.references:
        raise InputError(f"{provider} chat takes no reference images")


def chat_body(req: GenerationRequest, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    messages: list[dict[str, str]] = []
    if system := req.extra.get("system"):
        messages.append({"role": "system", "content": str(system)})
    messages.append({"role": "user", "content": req.prompt})
    body: dict[str, Any] = {"model": req.model_name, "messages": messages}
    if req.extra.get("json"):
        body["response_format"] = {"type": "json_object"}
    return body | dict(overrides or {})


async def submit_chat(
    provider: RemoteProvider,
    req: GenerationRequest,
    job_id: str,
    path: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    **call: Any,
) -> Handle:
    """Ask, and keep the answer (a scratch file) and its token usage in the handle."""
    response = await provider.call("POST", path, json=chat_body(req, overrides), **call)
    try:
        data = response.json()
    except ValueError:
        data = None
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not choices or not isinstance(choices[0], Mapping):
        raise ProviderAPIError(
            f"{provider.name}: chat answer has no choices", provider=provider.name
        )
    choice = choices[0]
    message = choice.get("message") or {}
    content = message.get("content") if isinstance(message, Mapping) else None
    info: dict[str, Any] = {
        "kind": CHAT_KIND,
        "model": req.model_name,
        "finish_reason": choice.get("finish_reason"),
        "usage": data.get("usage") or {},
    }
    if not isinstance(content, str) or not content:
        refusal = message.get("refusal") if isinstance(message, Mapping) else None
        info["error"] = str(refusal or f"no answer (finish_reason {info['finish_reason']})")
        info["refusal"] = bool(refusal)
    else:
        target = provider.scratch_path(job_id, ".txt")
        target.write_text(content, encoding="utf-8")
        info["path"] = str(target)
    return Handle.answered(
        provider=provider.name, request_id=str(data.get("id") or job_id), data=info
    )


def chat_failure(finish_reason: str, *, refused: bool) -> FailureReason:
    """An empty chat answer: ``content_filter`` or a ``refusal`` is SAFETY; anything else
    (``length``, ``stop`` with nothing said) the model failing."""
    if refused or finish_reason == "content_filter":
        return FailureReason.SAFETY
    return FailureReason.MODEL_FAILED


def chat_usage(data: Mapping[str, Any]) -> Usage | None:
    """The tokens a chat answer reports (``usage.prompt_tokens``/``completion_tokens``)."""
    usage = data.get("usage")
    if not isinstance(usage, Mapping):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    return Usage(
        input_tokens=prompt if isinstance(prompt, int) and prompt >= 0 else None,
        output_tokens=completion if isinstance(completion, int) and completion >= 0 else None,
    )


def chat_status(handle: Handle) -> Status:
    usage = chat_usage(handle.data)
    if handle.data.get("error"):
        code = str(handle.data.get("finish_reason") or "refused")
        error = str(handle.data["error"])
        return Status(
            state=JobState.FAILED,
            message=error if code in error else f"{error} (finish_reason {code})",
            error_reason=chat_failure(code, refused=bool(handle.data.get("refusal"))),
            error_code=code,
            usage=usage,
        )
    return Status(state=JobState.SUCCEEDED, progress=1.0, usage=usage)


def chat_result(handle: Handle) -> list[RemoteArtifact]:
    return [RemoteArtifact(mime="text/plain", path=Path(handle.data["path"]))]
