"""The shapes of every ``--json`` output: the CLI's contract with scripts.

Each command that lists or reports prints exactly one of these models, dumped as JSON, on
stdout (progress, hints and warnings go to stderr). Fields are only ever added, never
renamed or retyped, so a script written today keeps working. Conventions:

- money is a decimal string in US dollars (``"0.040000"``), never a float, or ``null``
  where there is no price;
- times are ISO 8601 with a timezone; paths are absolute;
- enums (status, task, failure reason) are their lowercase string values.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from storyreel.services.bulk_out import BulkItemOut, BulkPlanOut


class Output(BaseModel):
    """Base of every ``--json`` shape: unknown fields are refused when a test (or a
    script) parses one back, so a field added here must also be documented."""

    model_config = ConfigDict(extra="forbid")


# -- storyreel models ---------------------------------------------------------------------


class ModelInfo(Output):
    id: str
    provider: str
    title: str
    aliases: list[str]
    tasks: list[str]
    max_references: int
    durations: list[float]
    resolutions: list[str]
    audio: bool
    price: str
    """The price rule in words, e.g. ``$0.04 per image``."""
    price_source: str


class ModelList(Output):
    task: str | None
    models: list[ModelInfo]


# -- storyreel jobs -----------------------------------------------------------------------


class JobSummary(Output):
    id: str
    status: str
    task: str
    provider: str
    model: str
    project_id: str | None
    estimate_usd: Decimal | None
    cost_usd: Decimal | None
    """The final cost once the job is finished; ``null`` before."""
    created_at: datetime
    finished_at: datetime | None


class JobList(Output):
    jobs: list[JobSummary]
    next_before: str | None
    """Pass as ``--before`` for the next page; ``null`` on the last page."""


class JobOutputFile(Output):
    position: int
    mime: str
    sha256: str
    path: Path


class JobDetail(JobSummary):
    error: str | None
    error_reason: str | None
    note: str | None
    """What a waiting job waits for (a rate limit)."""
    submit_attempts: int
    polls: int
    possibly_billed_twice: bool
    failover_from: str | None
    failover_to: str | None
    request: dict[str, Any]
    outputs: list[JobOutputFile]


# -- storyreel cost -----------------------------------------------------------------------


class JobEstimate(Output):
    """``cost estimate --model``."""

    model: str
    aliases: list[str]
    task: str
    job: str
    """The priced job in words: ``5 s, 720p, audio off, 1 clip``."""
    price: str
    price_source: str
    estimate_usd: Decimal
    plan: str | None
    """The subscription that covers this model, if any."""


class ShotEstimate(Output):
    number: int
    planned_seconds: float
    billed_seconds: float | None
    panel_model: str
    clip_model: str
    panel_usd: Decimal | None
    clip_usd: Decimal | None
    total_usd: Decimal | None


class StoryEstimateOut(Output):
    """``cost estimate --story``."""

    title: str
    shots: list[ShotEstimate]
    panel_models: list[str]
    clip_models: list[str]
    panels_usd: Decimal | None
    clips_usd: Decimal | None
    sound_usd: Decimal | None = Decimal(0)
    """Narration voice jobs and the music job."""
    sheets_usd: Decimal | None = None
    """The character sheets drawn before the panels (none: no sheet to draw)."""
    total_usd: Decimal | None


class UnitPrice(Output):
    model: str
    unit_usd: Decimal
    per_story: int


class Plan(Output):
    provider: str
    plan: str
    monthly_usd: Decimal
    included: str
    concurrency: int | None


class CompareRow(Output):
    stories: int
    pay_per_use_usd: Decimal
    subscription_usd: Decimal
    cheaper: str
    saving_usd: Decimal


class CostComparison(Output):
    """``cost compare``."""

    image: UnitPrice
    video: UnitPrice
    per_story_usd: Decimal
    subscription: Plan
    break_even_stories: float | None
    """Stories per month from which the plan is cheaper; ``null``: never."""
    rows: list[CompareRow]


class SpendLine(Output):
    provider: str
    model: str
    project: str
    jobs: int
    cost_usd: Decimal
    estimate_usd: Decimal
    possibly_billed_twice: int


class SpendReport(Output):
    """``cost report``."""

    since: datetime | None
    project: str | None
    rows: list[SpendLine]
    jobs: int
    total_usd: Decimal


# -- storyreel story ----------------------------------------------------------------------


class PlannedShotOut(Output):
    number: int
    beat: int
    characters: list[str]
    setting: str
    camera: str
    motion: str
    duration: float
    clip_seconds: float | None = None
    """The clip length the video model makes and bills (the video is trimmed back to
    ``duration``); None when the shot cannot be bound to a model."""
    action: str
    video_role: str | None = None
    image_model: str | None = None
    video_model: str | None = None
    redo: list[str] | None = None
    """What a run would make anew for this shot ("panel", "clip"); None when unknown."""


class StageCosts(Output):
    """``story plan --estimate``: USD per stage (None: a model has no price)."""

    planner: Decimal | None
    panels: Decimal | None
    clips: Decimal | None
    sound: Decimal | None = Decimal(0)
    """Narration voice jobs and the music job."""
    total: Decimal | None
    to_redo: Decimal | None
    """What a run would spend now: only the panels and clips it would make anew."""


class StoryPlan(Output):
    """``story plan``."""

    title: str
    shots: list[PlannedShotOut]
    planner: str = "rules"
    assembly_redo: bool | None = None
    estimate: StageCosts | None = None
    written: Path | None = None


class Failover(Output):
    from_job: str
    from_model: str
    reason: str | None
    error: str | None
    to_job: str | None
    to_model: str | None


class VideoOut(Output):
    path: Path
    sha256: str
    frames: int
    duration: float
    width: int
    height: int


class StoryRunSummary(Output):
    """``story run`` and ``demo``: the final summary (the manifest holds every shot)."""

    title: str
    project_id: str
    panels: int
    seconds: float
    """Wall-clock time of this run."""
    cost_usd: Decimal
    video: VideoOut
    contact_sheet: Path
    manifest: Path
    failovers: list[Failover]
    possibly_billed_twice: list[str]


# -- storyreel generate -------------------------------------------------------------------


class GenerateResult(Output):
    """``generate image|video``: the job and the files it wrote (none if it failed)."""

    job_id: str
    status: str
    task: str
    model: str
    failover_from: str | None
    estimate_usd: Decimal | None
    cost_usd: Decimal | None
    error: str | None
    error_reason: str | None
    files: list[Path]


# -- storyreel bulk -----------------------------------------------------------------------
# ``bulk --dry-run`` prints ``BulkPlanOut`` (services.bulk_out: the API and the UI show the
# same).


class BulkRunSummary(Output):
    """``bulk``: the finished (or stopped) bulk and its downloads folder."""

    bulk_id: str
    key: str
    jobs: int
    created: int
    reused: int
    """Jobs found finished or running from an earlier run of the same bulk (not bought)."""
    states: dict[str, int]
    spent_usd: Decimal
    out_dir: Path
    index: Path
    files: list[Path]
    failed: list[dict[str, str]]


# -- storyreel info -----------------------------------------------------------------------


class ProviderInfo(Output):
    name: str
    key: Literal["set", "missing", "not needed"]
    """Whether an API key is configured (the key itself is never shown)."""
    base_url: str | None
    options: list[str]
    """The option names set for it (values are not shown: some are secrets)."""


class PluginInfo(Output):
    name: str
    module: str
    loaded: bool
    builtin: bool


class Info(Output):
    """``storyreel info``: where everything is."""

    version: str
    data_dir: Path
    data_dir_origin: Literal["STORYREEL_DATA_DIR", "project", "user"]
    """``STORYREEL_DATA_DIR`` (set), ``project`` (a .storyreel folder found walking up
    from the current directory) or ``user`` (the platform's per-user data dir)."""
    database: str
    """The app database URL, password hidden."""
    log_file: Path
    catalog_file: Path | None
    env_file: Path | None
    """The .env file read, if there is one in the current directory."""
    providers: list[ProviderInfo]
    plugins: list[PluginInfo]
    load_plugins: list[str] | None


__all__ = [
    "BulkItemOut",
    "BulkPlanOut",
    "BulkRunSummary",
    "CompareRow",
    "CostComparison",
    "Failover",
    "GenerateResult",
    "Info",
    "JobDetail",
    "JobEstimate",
    "JobList",
    "JobOutputFile",
    "JobSummary",
    "ModelInfo",
    "ModelList",
    "Output",
    "PlannedShotOut",
    "PluginInfo",
    "ProviderInfo",
    "SpendLine",
    "SpendReport",
    "StoryEstimateOut",
    "StoryPlan",
    "StoryRunSummary",
    "UnitPrice",
    "VideoOut",
]
