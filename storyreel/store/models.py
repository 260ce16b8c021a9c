"""The app store's tables (SQLAlchemy 2). Alembic migrations in ``store/migrations`` build
them; ``tests/store/test_migrations.py`` checks that the migrations and these models agree.

Ids are ULIDs (time-ordered), so ``ORDER BY id`` is creation order and keyset pagination
needs no second column. Money is ``Numeric(12, 6)``: fractions of a cent add up over
thousands of generations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storyreel.ids import new_id


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Project(Base):
    """One story: its source, plan and the run that produced its outputs."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(300))
    story_hash: Mapped[str] = mapped_column(String(64), index=True)
    story: Mapped[dict[str, Any]] = mapped_column(JSON)
    seed: Mapped[int] = mapped_column(BigInteger)  # up to 2**32 - 1 (story schema)
    budget_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    kind: Mapped[str] = mapped_column(String(20), default="story", server_default="story")
    """``story``, or ``bulk`` for a bulk run's project (its budget scope, not a story)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    characters: Mapped[list[Character]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Character.position"
    )
    shots: Mapped[list[Shot]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Shot.number"
    )


class Character(Base):
    __tablename__ = "characters"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    reference_asset: Mapped[str | None] = mapped_column(String(64))
    reference_mime: Mapped[str | None] = mapped_column(String(50))
    sheet_asset: Mapped[str | None] = mapped_column(String(64))
    """The character sheet drawn for a character without a reference image."""
    sheet_mime: Mapped[str | None] = mapped_column(String(50))

    project: Mapped[Project] = relationship(back_populates="characters")


class Shot(Base):
    __tablename__ = "shots"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    beat: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(Text)
    setting: Mapped[str] = mapped_column(Text, default="")
    camera: Mapped[str] = mapped_column(String(200), default="")
    motion: Mapped[str] = mapped_column(String(200), default="")
    duration: Mapped[float] = mapped_column()
    characters: Mapped[list[Any]] = mapped_column(JSON, default=list)
    image_prompt: Mapped[str] = mapped_column(Text, default="")
    panel_job_id: Mapped[str | None] = mapped_column(String(26))
    clip_job_id: Mapped[str | None] = mapped_column(String(26))
    picked_candidate: Mapped[int | None] = mapped_column(Integer)
    """The candidate panel the user chose (``story pick``); it wins over the scorer's."""

    project: Mapped[Project] = relationship(back_populates="shots")


class IdentityScore(Base):
    """How well one character holds in one candidate panel (``story/consistency``).

    ``cross``: the character in the panel against its reference or sheet; ``self``: against
    the same character in the story's other chosen panels (ViStoryBench's CIDS cross and
    self); ``copy``: the panel pastes the reference nearly unchanged."""

    __tablename__ = "identity_scores"
    __table_args__ = (
        Index("ix_identity_scores_project_shot", "project_id", "shot_number"),
        Index("ix_identity_scores_panel", "panel_sha256"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    shot_number: Mapped[int] = mapped_column(Integer)
    candidate: Mapped[int] = mapped_column(Integer)
    panel_sha256: Mapped[str] = mapped_column(String(64))
    character: Mapped[str] = mapped_column(String(100))
    scorer: Mapped[str] = mapped_column(String(50))
    cross: Mapped[float | None] = mapped_column()
    self_score: Mapped[float | None] = mapped_column("self", nullable=True)
    copy: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Job(Base):
    """One generation. ``id`` is also the DBOS workflow id that runs it."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_request_hash_status", "request_hash", "status"),
        Index("ix_jobs_status_id", "status", "id"),
        # the library filtered by model or by project, newest first (services.library)
        Index("ix_jobs_model_id", "model", "id"),
        Index("ix_jobs_project_id_id", "project_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    task: Mapped[str] = mapped_column(String(40))
    provider: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    request_hash: Mapped[str] = mapped_column(String(64))
    handle: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    submit_attempts: Mapped[int] = mapped_column(Integer, default=0)
    submit_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the latest submit attempt began: with no handle stored, its outcome is unknown
    and the provider is asked before anything is submitted again."""
    possibly_billed_twice: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    """A submit was repeated after an unknown outcome on a provider with no lookup."""
    usage: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What the provider reported it measured or charged (``providers.types.Usage``)."""
    reserved_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    """What this job holds against budgets from its first submit until its final cost."""
    note: Mapped[str | None] = mapped_column(String(300))
    """What the job is waiting for right now, in words ("fal: rate limited, retrying in
    12 s"); cleared once it moves on."""
    polls: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    error_reason: Mapped[str | None] = mapped_column(String(60))
    estimate_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    project_id: Mapped[str | None] = mapped_column(String(26), index=True)
    failover_from: Mapped[str | None] = mapped_column(String(26))
    failover_to: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    outputs: Mapped[list[JobOutput]] = relationship(
        cascade="all, delete-orphan", order_by="JobOutput.position", lazy="selectin"
    )


class Asset(Base):
    """A stored file, by the SHA-256 of its bytes."""

    __tablename__ = "assets"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    frames: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float | None] = mapped_column()
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    source_job_id: Mapped[str | None] = mapped_column(String(26), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobOutput(Base):
    __tablename__ = "job_outputs"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_sha256: Mapped[str] = mapped_column(ForeignKey("assets.sha256"))
    mime: Mapped[str] = mapped_column(String(50))


class CostEntry(Base):
    """An estimate before a job runs and its final cost after; both kept for reports."""

    __tablename__ = "cost_entries"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Executor(Base):
    """A live engine process. A stale heartbeat (or, on this host, a dead pid) means its
    pending workflows must be recovered by someone else."""

    __tablename__ = "executors"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UploadedFile(Base):
    """Where a provider can read one of our files, and until when (seed 004's SHA-256
    upload cache): a reference image used in fifty shots is uploaded once."""

    __tablename__ = "upload_cache"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebhookEvent(Base):
    """Every webhook delivery we accepted, so a duplicate (providers retry, and may send
    twice) changes nothing the second time."""

    __tablename__ = "webhook_events"

    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(26), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DerivedAsset(Base):
    """An asset made from others by a deterministic recipe (the assembled video of some
    clips, a contact sheet of some panels), keyed by the hash of the recipe's inputs: an
    unchanged story re-run finds its video here instead of encoding it again."""

    __tablename__ = "derived_assets"

    recipe_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    asset_sha256: Mapped[str] = mapped_column(ForeignKey("assets.sha256"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SeedJob(Base):
    """A job as seed 004's service numbers it (``GET /jobs/1``): an integer id, the kind
    (``video`` for ``/jobs``, ``image`` for ``/images``), the request as the seed's client
    sent it, and the storyreel job that runs it."""

    __tablename__ = "seed_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    job_id: Mapped[str] = mapped_column(String(26), index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Bulk(Base):
    """One bulk generation (seed 004): every image of a folder times every prompt of a
    file, or paired one to one. ``key`` is the hash of its inputs, so running the same
    command again finds this row (and its jobs) instead of buying anything twice."""

    __tablename__ = "bulks"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    model: Mapped[str] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(16))
    duration: Mapped[float | None] = mapped_column()
    one_to_one: Mapped[bool] = mapped_column(Boolean, default=False)
    out_dir: Mapped[str | None] = mapped_column(Text)
    """The downloads folder it was last exported to: that folder's ``index.csv`` lists it."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    items: Mapped[list[BulkItem]] = relationship(
        cascade="all, delete-orphan", order_by="BulkItem.position", lazy="selectin"
    )


class BulkItem(Base):
    """One image and prompt of a bulk, and the job that makes (or made) its video."""

    __tablename__ = "bulk_items"

    bulk_id: Mapped[str] = mapped_column(
        ForeignKey("bulks.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_name: Mapped[str] = mapped_column(Text)
    image_sha256: Mapped[str] = mapped_column(String(64))
    image_mime: Mapped[str] = mapped_column(String(50))
    prompt_number: Mapped[int] = mapped_column(Integer)
    prompt: Mapped[str] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(26), index=True)
