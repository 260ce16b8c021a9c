"""Request and response bodies of storyreel's own resources (``/api/v1``). Money is a
decimal string in USD, as in the CLI's ``--json``; files are URLs under ``/api/v1/assets``,
never filesystem paths."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from storyreel.store.models import Job

ASSETS = "/api/v1/assets"


class OutputOut(BaseModel):
    position: int
    mime: str
    sha256: str
    url: str
    thumbnail_url: str


class JobOut(BaseModel):
    id: str
    status: str
    task: str
    provider: str
    model: str
    project_id: str | None
    estimate_usd: Decimal | None
    cost_usd: Decimal | None
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    error_reason: str | None
    note: str | None
    progress: float | None
    failover_from: str | None
    failover_to: str | None
    request: dict[str, Any]
    outputs: list[OutputOut]

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            status=job.status,
            task=job.task,
            provider=job.provider,
            model=job.model,
            project_id=job.project_id,
            estimate_usd=job.estimate_usd,
            cost_usd=job.cost_usd,
            created_at=job.created_at,
            finished_at=job.finished_at,
            error=job.error,
            error_reason=job.error_reason,
            note=job.note,
            progress=job.progress,
            failover_from=job.failover_from,
            failover_to=job.failover_to,
            request=job.request,
            outputs=[
                OutputOut(
                    position=o.position,
                    mime=o.mime,
                    sha256=o.asset_sha256,
                    url=f"{ASSETS}/{o.asset_sha256}",
                    thumbnail_url=f"{ASSETS}/{o.asset_sha256}/thumbnail",
                )
                for o in job.outputs
            ],
        )


class JobPage(BaseModel):
    jobs: list[JobOut]
    next_before: str | None = Field(description="Pass as ?before= for the next page.")


class GenerateIn(BaseModel):
    """One generation on any catalog model (``storyreel generate``'s options)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["image", "video"] = "image"
    model: str = Field(min_length=1, max_length=200, examples=["sketch"])
    prompt: str = Field(min_length=1, max_length=10_000)
    reference_urls: list[str] = Field(
        default_factory=list,
        max_length=8,
        description="Input images by URL (fetched through the SSRF guard).",
    )
    reference_assets: list[str] = Field(
        default_factory=list,
        max_length=8,
        description="Input images already stored here, by sha256 (see POST /api/v1/uploads).",
    )
    width: int | None = Field(default=None, ge=64, le=8192)
    height: int | None = Field(default=None, ge=64, le=8192)
    aspect: str | None = Field(default=None, max_length=10)
    count: int | None = Field(default=None, ge=1, le=16)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    resolution: str | None = Field(default=None, max_length=10)
    duration: float | None = Field(default=None, ge=0.5, le=120)
    fps: int | None = Field(default=None, ge=1, le=120)
    audio: bool | None = None
    quality: Literal["low", "medium", "high"] | None = Field(
        default=None, description="GPT image quality (models priced by quality only)."
    )
    budget_usd: Decimal | None = Field(default=None, ge=0, le=1_000_000, allow_inf_nan=False)

    def fields(self) -> dict[str, Any]:
        """The GenerationRequest fields this body sets."""
        keys = ("width", "height", "aspect", "count", "seed", "resolution", "duration", "fps")
        out: dict[str, Any] = {k: getattr(self, k) for k in keys}
        out["audio"] = self.audio
        if self.quality is not None:
            out["extra"] = {"quality": self.quality}
        return out


class EstimateOut(BaseModel):
    model: str
    task: str
    estimate_usd: Decimal | None
    unpriced: bool


class UploadOut(BaseModel):
    sha256: str
    mime: str
    width: int | None
    height: int | None
    url: str


class AssetOut(BaseModel):
    sha256: str
    mime: str
    job_id: str
    position: int
    model: str
    task: str
    project_id: str | None
    created_at: datetime
    width: int | None
    height: int | None
    duration: float | None
    size: int
    url: str
    thumbnail_url: str | None


class AssetPage(BaseModel):
    assets: list[AssetOut]
    next_before: str | None


class ModelOut(BaseModel):
    id: str
    provider: str
    title: str
    tasks: list[str]
    aliases: list[str]
    price: str


class ModelPage(BaseModel):
    models: list[ModelOut]


class StoryRunIn(BaseModel):
    """``POST /api/v1/stories/{id}/run``: the most the story may spend over all its runs
    (USD; None: the story file's ``budget``)."""

    model_config = ConfigDict(extra="forbid")
    budget_usd: Decimal | None = Field(default=None, ge=0)


class StoryRedoIn(StoryRunIn):
    """``POST /api/v1/stories/{id}/redo``: one shot's panel and/or clip made again (a new
    take, paid again), then the story re-assembled, as ``storyreel story redo``."""

    shot: int = Field(ge=1)
    stage: Literal["panel", "clip"] | None = None


class StoryPickIn(StoryRunIn):
    """``POST /api/v1/stories/{id}/pick``: one of a shot's best-of-N candidates becomes its
    panel, then the story runs again, as ``storyreel story pick``."""

    shot: int = Field(ge=1)
    candidate: int = Field(ge=1, le=64)


class StoryFinalizeIn(StoryRunIn):
    """``POST /api/v1/stories/{id}/finalize``: these drafts redrawn on the final models (added
    to the shots finalized before), as ``storyreel story finalize --shots``."""

    shots: list[Annotated[int, Field(ge=1)]] = Field(min_length=1, max_length=1000)
