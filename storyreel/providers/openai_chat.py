"""OpenAI chat completions (the story planner's models): the model list the adapter and
the simulator share, and the endpoint. The wire itself is ``chat_completions``."""

from __future__ import annotations

CHAT_PATH = "v1/chat/completions"
CHAT_MODELS = frozenset({"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini"})
