"""The downloads folder: each finished video under seed 004's name, and ``index.csv``.

A video is ``job_{id}_{model}_{prompt}.mp4``: the id of the job that made it, the model's
short name (its catalog alias, e.g. ``kling``) and the prompt made file-name safe (lower
case, words joined by ``_``, at most 50 characters). Files are copies of the asset store's
content written atomically; the store stays the source of truth and ``index.csv`` is
rebuilt from it each time, listing every item of every bulk exported to this folder (one
row per image and prompt, finished or not), so it can always be regenerated.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storyreel.catalog import Catalog
from storyreel.engine.runtime import Runtime
from storyreel.errors import NotFound
from storyreel.providers.types import JobState
from storyreel.store.assets import extension_for
from storyreel.store.exports import copy_atomic, holds, write_text_atomic
from storyreel.store.models import Bulk, BulkItem, Job

INDEX_NAME = "index.csv"
INDEX_COLUMNS = (
    "file",
    "job_id",
    "status",
    "model",
    "image",
    "prompt_number",
    "prompt",
    "resolution",
    "duration_sec",
    "estimate_usd",
    "cost_usd",
    "sha256",
    "error",
    "bulk_id",
    "position",
)
PROMPT_CHARS = 50


def slug(text: str, limit: int = PROMPT_CHARS) -> str:
    """``text`` as a file-name part: lower-case ASCII letters and digits joined by ``_``."""
    words = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return words[:limit].rstrip("_") or "untitled"


def model_label(catalog: Catalog, model_id: str) -> str:
    """The model's short name: its first alias (seed 004's names), else its id's tail."""
    if model_id in catalog:
        entry = catalog.resolve(model_id)
        if entry.aliases:
            return slug(entry.aliases[0], 60)
    return slug(model_id.rpartition(":")[2].replace("/", "-"), 60)


def output_name(job_id: str, label: str, prompt: str, mime: str, position: int = 0) -> str:
    """Seed 004's ``job_{id}_{model}_{prompt}.mp4`` (a second output of one job: ``_2``)."""
    extra = f"_{position + 1}" if position else ""
    return f"job_{job_id}_{label}_{slug(prompt)}{extra}{extension_for(mime)}"


def place_outputs(rt: Runtime, job: Job, prompt: str, out_dir: Path) -> list[Path]:
    """Copy a finished job's outputs into ``out_dir`` under their seed names (a file that
    already holds the right bytes is left alone); returns the files."""
    label = model_label(Catalog.load(rt.settings), job.model)
    placed = []
    for output in job.outputs:
        target = out_dir / output_name(job.id, label, prompt, output.mime, output.position)
        if not holds(target, output.asset_sha256):
            copy_atomic(rt.assets.path(output.asset_sha256, output.mime), target)
        placed.append(target)
    return placed


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    index: Path
    files: list[Path]
    rows: int


async def _folder_rows(rt: Runtime, folder: str) -> list[tuple[Bulk, BulkItem, Job | None]]:
    stmt = (
        select(Bulk, BulkItem, Job)
        .join(BulkItem, BulkItem.bulk_id == Bulk.id)
        .outerjoin(Job, Job.id == BulkItem.job_id)
        .where(Bulk.out_dir == folder)
        .order_by(Bulk.created_at, Bulk.id, BulkItem.position)
    )
    async with rt.db.session() as session:
        return [(b, i, j) for b, i, j in (await session.execute(stmt)).all()]


def _row(label: str, bulk: Bulk, item: BulkItem, job: Job | None) -> dict[str, Any]:
    done = job is not None and job.status == JobState.SUCCEEDED.value and job.outputs
    first = job.outputs[0] if done and job is not None else None
    return {
        "file": output_name(job.id, label, item.prompt, first.mime) if job and first else "",
        "job_id": job.id if job else "",
        "status": job.status if job else "not created",
        "model": job.model if job else bulk.model,
        "image": item.image_name,
        "prompt_number": item.prompt_number,
        "prompt": item.prompt,
        "resolution": bulk.resolution or "",
        "duration_sec": "" if bulk.duration is None else f"{bulk.duration:g}",
        "estimate_usd": "" if job is None or job.estimate_usd is None else str(job.estimate_usd),
        "cost_usd": "" if job is None or job.cost_usd is None else str(job.cost_usd),
        "sha256": first.asset_sha256 if first else "",
        "error": (job.error or "") if job else "",
        "bulk_id": bulk.id,
        "position": item.position,
    }


def _index_rows(
    catalog: Catalog, rows: list[tuple[Bulk, BulkItem, Job | None]]
) -> list[dict[str, Any]]:
    labels: dict[str, str] = {}
    out = []
    for bulk, item, job in rows:
        model = job.model if job else bulk.model
        label = labels.setdefault(model, model_label(catalog, model))
        out.append(_row(label, bulk, item, job))
    return out


def render_index(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=INDEX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


async def bulk_index(rt: Runtime, bulk_id: str) -> str:
    """One bulk's index as CSV text (the API's index route), wherever it was exported."""
    async with rt.db.session() as session:
        bulk = await session.get(Bulk, bulk_id)
        jobs = {
            job.id: job
            for job in (
                await session.execute(
                    select(Job)
                    .join(BulkItem, BulkItem.job_id == Job.id)
                    .where(BulkItem.bulk_id == bulk_id)
                )
            ).scalars()
        }
    if bulk is None:
        raise NotFound(f"no bulk {bulk_id!r}")
    stored = [(bulk, item, jobs.get(item.job_id or "")) for item in bulk.items]
    return render_index(_index_rows(Catalog.load(rt.settings), stored))


async def export_bulk(rt: Runtime, bulk_id: str, out_dir: Path) -> ExportResult:
    """Record ``out_dir`` as the bulk's downloads folder, copy each finished video there
    and rewrite ``index.csv`` (written last, atomically) from the store."""
    folder = out_dir.resolve()
    async with rt.db.session() as session:
        bulk = await session.get(Bulk, bulk_id)
        assert bulk is not None
        bulk.out_dir = str(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stored = await _folder_rows(rt, str(folder))
    rows = _index_rows(Catalog.load(rt.settings), stored)
    files: list[Path] = []
    for bulk_row, item, job in stored:
        if bulk_row.id != bulk_id or job is None or job.status != JobState.SUCCEEDED.value:
            continue
        files += await asyncio.to_thread(place_outputs, rt, job, item.prompt, folder)
    index = folder / INDEX_NAME
    await asyncio.to_thread(write_text_atomic, index, render_index(rows))
    return ExportResult(out_dir=folder, index=index, files=sorted(set(files)), rows=len(rows))
