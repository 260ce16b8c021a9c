"""What the contract needs to know about a provider to exercise it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storyreel.vocabulary import Task


@dataclass(frozen=True)
class ProviderCase:
    provider: str
    image_model: str
    image_task: Task = Task.TEXT_TO_IMAGE
    video_model: str | None = None
    video_task: Task = Task.IMAGE_TO_VIDEO
    #: False for providers whose webhooks carry no signature (ModelsLab): only the job token
    #: protects them, and they are hints that trigger a status fetch.
    signed_webhooks: bool = True
    #: False for providers that have no webhooks at all.
    webhooks: bool = True
    image_fields: dict[str, Any] = field(default_factory=dict)
    video_fields: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.provider
