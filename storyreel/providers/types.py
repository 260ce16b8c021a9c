"""What a provider reports back: the outcome side of the provider boundary.

Everything here is small and JSON-serialisable on purpose: a ``Handle`` is checkpointed by
the engine before the first poll so any process can resume the job. The request side
(``Task``, ``GenerationRequest``, references) is the whole system's vocabulary and lives
in ``storyreel.vocabulary``.
"""

from __future__ import annotations

import time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from storyreel.errors import FailureReason


class Handle(BaseModel):
    """What a provider gave back on submit; enough to poll, fetch or cancel from anywhere."""

    model_config = ConfigDict(frozen=True)

    provider: str
    request_id: str
    urls: dict[str, str] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    submitted_at: float = Field(default_factory=time.time)
    ready_at: float | None = None
    """When the outcome can be read without waiting on the provider: a synchronous API
    answered the submit with it (``answered``), a local render's simulated latency ends.
    The engine polls such a job then, not when the model's usual latency says; None: the
    provider is still working, and the poll schedule decides when to ask."""

    @classmethod
    def answered(cls, **fields: Any) -> Handle:
        """The handle of a submit whose answer already holds the outcome: ready now."""
        now = time.time()
        return cls(submitted_at=now, ready_at=now, **fields)


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
