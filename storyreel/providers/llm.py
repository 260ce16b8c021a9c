"""Any OpenAI-compatible chat server by base URL: Ollama, vLLM, llama.cpp's server,
LM Studio, or a hosted gateway that speaks the same wire.

Set ``STORYREEL_PROVIDERS__LLM__BASE_URL`` to the server's OpenAI base (the part before
``/chat/completions``, e.g. ``http://127.0.0.1:11434/v1`` for Ollama) and name the model as
``llm:<the server's model name>`` (``--planner llm:llama3.1``). An API key is optional: a
local server usually takes none, and a key that is set goes out as ``Authorization:
Bearer``. The model is the server's, so the catalog has no entry and no price for it: its
jobs are unpriced (free when the server is your own).
"""

from __future__ import annotations

from storyreel.providers import chat_completions as chat
from storyreel.providers.registry import Register
from storyreel.providers.remote import RemoteProvider
from storyreel.providers.types import Handle, RemoteArtifact, Status
from storyreel.vocabulary import GenerationRequest, Task

CHAT_PATH = "chat/completions"


class LocalLLMProvider(RemoteProvider):
    name = "llm"
    default_base_url = "http://127.0.0.1:11434/v1"
    tasks = frozenset({Task.CHAT})
    supports_webhooks = False
    max_references = 0

    def auth_headers(self) -> dict[str, str]:
        key = self.ctx.settings.api_key
        return {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}

    def available(self) -> bool:
        return True  # a local server needs no key

    def check(self, req: GenerationRequest) -> None:
        super().check(req)
        chat.check_chat(self.name, req)

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        return await chat.submit_chat(self, req, job_id, CHAT_PATH)

    async def poll(self, handle: Handle) -> Status:
        return chat.chat_status(handle)

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        return chat.chat_result(handle)


def register_providers(register: Register) -> None:
    register(LocalLLMProvider)
