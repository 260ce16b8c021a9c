"""The plain data that crosses the provider boundary.

Everything here is small and JSON-serialisable on purpose: a ``Handle`` is checkpointed by
the engine before the first poll so any process can resume the job, and a
``GenerationRequest``'s canonical hash is the cache key that keeps storyreel from paying
twice for the same generation.
"""

from __future__ import annotations

import time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from storyreel.errors import FailureReason
from storyreel.ids import content_hash


class Task(StrEnum):
    TEXT_TO_IMAGE = "text-to-image"
    IMAGE_TO_IMAGE = "image-to-image"
    REFERENCE_TO_IMAGE = "reference-to-image"
    INPAINT = "inpaint"
    IMAGE_TO_VIDEO = "image-to-video"
    FIRST_LAST_TO_VIDEO = "first-last-to-video"
    TEXT_TO_VIDEO = "text-to-video"
    CHAT = "chat"
    SPEECH = "speech"

    @property
    def output_kind(self) -> Literal["image", "video", "text", "audio"]:
        if self in _VIDEO_TASKS:
            return "video"
        if self is Task.CHAT:
            return "text"
        if self is Task.SPEECH:
            return "audio"
        return "image"


_VIDEO_TASKS = {Task.IMAGE_TO_VIDEO, Task.FIRST_LAST_TO_VIDEO, Task.TEXT_TO_VIDEO}


class RefRole(StrEnum):
    CHARACTER = "character"
    STYLE = "style"
    INIT_IMAGE = "init_image"
    FIRST_FRAME = "first_frame"
    LAST_FRAME = "last_frame"
    MASK = "mask"


class Reference(BaseModel):
    """An input image, by the SHA-256 of its bytes in the asset store."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: RefRole
    asset: str = Field(pattern=r"^[0-9a-f]{64}$")
    mime: str = "image/png"
    name: str | None = None


class ShotCharacter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=2_000)


class ShotInfo(BaseModel):
    """Structured shot data beside the prompt. Remote models read the prompt; renderers
    that draw from structure (``sketch``) read this, so the story pipeline never has to
    know which kind of provider it talks to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str = Field(default="", max_length=2_000)
    setting: str = Field(default="", max_length=2_000)
    camera: str = Field(default="", max_length=200)
    style: str = Field(default="", max_length=500)
    label: str = Field(default="", max_length=100)
    characters: tuple[ShotCharacter, ...] = ()


class GenerationRequest(BaseModel):
    """The one unified request every provider accepts.

    ``model`` is written ``provider:model``; ``extra`` passes provider-specific fields
    through untouched (and is part of the cache key, so it changes what is bought).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: Task
    model: str = Field(pattern=r"^[a-z0-9_-]+:.+$", max_length=200)
    prompt: str = Field(default="", max_length=20_000)
    negative_prompt: str = Field(default="", max_length=5_000)
    references: tuple[Reference, ...] = ()
    width: int | None = Field(default=None, ge=64, le=8192)
    height: int | None = Field(default=None, ge=64, le=8192)
    aspect: str | None = Field(default=None, pattern=r"^\d{1,2}:\d{1,2}$")
    count: int = Field(default=1, ge=1, le=16)
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    steps: int | None = Field(default=None, ge=1, le=200)
    guidance: float | None = Field(default=None, ge=0, le=50)
    duration: float | None = Field(default=None, gt=0, le=120)
    fps: int | None = Field(default=None, ge=1, le=120)
    resolution: str | None = Field(default=None, max_length=16)
    audio: bool | None = None
    shot: ShotInfo | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _even_video_size(self) -> GenerationRequest:
        if self.task.output_kind == "video":
            for side in (self.width, self.height):
                if side is not None and side % 2:
                    raise ValueError("video width and height must be even numbers")
        return self

    @property
    def provider(self) -> str:
        return self.model.split(":", 1)[0]

    @property
    def model_name(self) -> str:
        return self.model.split(":", 1)[1]

    def refs(self, role: RefRole) -> list[Reference]:
        return [ref for ref in self.references if ref.role is role]

    def cache_key(self) -> str:
        """Canonical hash: two equal requests buy one generation."""
        return content_hash(self.model_dump(mode="json"))


class Handle(BaseModel):
    """What a provider gave back on submit; enough to poll, fetch or cancel from anywhere."""

    model_config = ConfigDict(frozen=True)

    provider: str
    request_id: str
    urls: dict[str, str] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    submitted_at: float = Field(default_factory=time.time)


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED})


class Usage(BaseModel):
    """What a provider reported it measured or charged for one job, where it reports
    anything. The final cost is computed from this (``catalog.final_cost``); fields a
    provider does not report stay None and the catalog price of the request fills in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cost_usd: Decimal | None = Field(default=None, ge=0)
    """The provider's own charge for the job, when its API returns one."""
    gpu_seconds: float | None = Field(default=None, ge=0)
    """Billed compute time (Replicate ``metrics.predict_time``)."""
    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)
    seconds: float | None = Field(default=None, ge=0)
    """Length of the video or audio actually produced."""
    count: int | None = Field(default=None, ge=0)
    """Outputs actually produced (images in a batch)."""
    width: int | None = Field(default=None, ge=1)
    height: int | None = Field(default=None, ge=1)


class Status(BaseModel):
    """One observation of a provider job. A failed one carries a typed ``error_reason``
    (what failover and retries read) and the provider's own ``error_code`` (what a person
    reads); a finished one may carry the ``usage`` the provider reported."""

    model_config = ConfigDict(frozen=True)

    state: JobState
    progress: float | None = Field(default=None, ge=0, le=1)
    message: str = ""
    logs: tuple[str, ...] = ()
    error_reason: FailureReason | None = None
    error_code: str | None = None
    queue_position: int | None = None
    usage: Usage | None = None


class RemoteArtifact(BaseModel):
    """One output: a URL to download now (providers delete them within the hour), or a
    file a local provider wrote into its scratch dir inside the data dir."""

    model_config = ConfigDict(frozen=True)

    mime: str
    url: str | None = None
    path: Path | None = None

    @model_validator(mode="after")
    def _one_source(self) -> RemoteArtifact:
        if (self.url is None) == (self.path is None):
            raise ValueError("an artifact has exactly one of url or path")
        return self


class WebhookEvent(BaseModel):
    """A verified webhook, reduced to what the engine needs to wake the right job."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    state: JobState | None = None
    event_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
