"""The library: every generated file, newest first, keyset-paginated.

A page is read in the order of the ``job_outputs`` primary key (job id, position) and
job ids are ULIDs, so "newer than" and "older than" are index ranges: page 1,000 of
100,000 assets costs what page 1 costs. A date filter is an id range too (a ULID starts
with its creation time), so it needs no index of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import and_, func, or_, select
from ulid import ULID

from storyreel.engine.runtime import Runtime
from storyreel.errors import InputError, NotFound
from storyreel.store.models import Asset, Job, JobOutput, Project

Kind = Literal["image", "video"]

#: How much of a prompt a page of the library carries (the card's alt text); the whole
#: prompt is read for one asset at a time (``services.library_detail``).
PROMPT_PREVIEW = 160


@dataclass(frozen=True)
class LibraryItem:
    """One generated file as the library lists it; the lightbox's ``AssetDetail``
    (``services.library_detail``) is this plus the generation that made it."""

    job_id: str
    position: int
    sha256: str
    mime: str
    model: str
    task: str
    project_id: str | None
    created_at: datetime
    width: int | None
    height: int | None
    duration: float | None
    size: int
    thumbnail_sha256: str | None
    prompt: str = ""
    """In a page, the prompt's first ``PROMPT_PREVIEW`` characters (a card's text
    alternative); in an ``AssetDetail``, the whole prompt."""

    @property
    def cursor(self) -> str:
        return f"{self.job_id}.{self.position}"

    @property
    def kind(self) -> str:
        return self.mime.split("/", 1)[0]


def _ulid_bound(moment: datetime) -> str:
    """The smallest ULID of ``moment``'s millisecond; moments before 1970 or past the
    ULID epoch's end (year 10889) are the ends of the range."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment.timestamp() <= 0:
        return "0" * 26
    try:
        return str(ULID.from_datetime(moment))[:10] + "0" * 16
    except (OverflowError, ValueError):
        return "Z" * 26


def _parse_cursor(cursor: str) -> tuple[str, int]:
    job_id, _, position = cursor.partition(".")
    if len(job_id) != 26 or not position.isdigit():
        raise InputError(f"bad page cursor {cursor[:60]!r}: pass a next_before you were given")
    return job_id, int(position)


async def list_assets(
    rt: Runtime,
    *,
    kind: Kind | None = None,
    model: str | None = None,
    project_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: str | None = None,
    limit: int = 100,
) -> tuple[Sequence[LibraryItem], str | None]:
    """A page of the library and the cursor of the next one (None on the last page)."""
    prompt = func.substr(Job.request["prompt"].as_string(), 1, PROMPT_PREVIEW)
    # Filtered by a job's model or project, the page is read in the order of that job
    # index (``ix_jobs_model_id``, ``ix_jobs_project_id_id``): a rare model's page is an
    # index range, not a scan of every output. The two id columns are equal (the join).
    by_job = model is not None or project_id is not None
    order_id = Job.id if by_job else JobOutput.job_id
    stmt = (
        select(JobOutput, Job.model, Job.task, Job.project_id, Job.created_at, prompt, Asset)
        .join(Job, Job.id == JobOutput.job_id)
        .join(Asset, Asset.sha256 == JobOutput.asset_sha256)
        .order_by(order_id.desc(), JobOutput.position.desc())
        .limit(limit)
    )
    if kind is not None:
        stmt = stmt.where(JobOutput.mime.like(f"{kind}/%"))
    if model is not None:
        stmt = stmt.where(Job.model == model)
    if project_id is not None:
        stmt = stmt.where(Job.project_id == project_id)
    if since is not None:
        stmt = stmt.where(order_id >= _ulid_bound(since))
    if until is not None:
        stmt = stmt.where(order_id < _ulid_bound(until))
    if before is not None:
        job_id, position = _parse_cursor(before)
        stmt = stmt.where(
            or_(
                order_id < job_id,
                and_(order_id == job_id, JobOutput.position < position),
            )
        )
    async with rt.db.session() as session:
        rows = (await session.execute(stmt)).all()
    items = [
        LibraryItem(
            job_id=out.job_id,
            position=out.position,
            sha256=out.asset_sha256,
            mime=out.mime,
            model=model_,
            task=task,
            project_id=project,
            created_at=created,
            width=asset.width,
            height=asset.height,
            duration=asset.duration,
            size=asset.size,
            thumbnail_sha256=asset.thumbnail_sha256,
            prompt=text or "",
        )
        for out, model_, task, project, created, text, asset in rows
    ]
    more = items[-1].cursor if len(items) == limit else None
    return items, more


async def get_asset(rt: Runtime, sha256: str) -> Asset:
    async with rt.db.session() as session:
        asset = await session.get(Asset, sha256)
    if asset is None:
        raise NotFound(f"no asset {sha256[:64]!r}")
    return asset


async def project_choices(rt: Runtime, limit: int = 200) -> list[tuple[str, str]]:
    """(id, title) of the newest projects: the library's project filter."""
    stmt = select(Project.id, Project.title).order_by(Project.id.desc()).limit(limit)
    async with rt.db.session() as session:
        return [(pid, title) for pid, title in (await session.execute(stmt)).all()]
