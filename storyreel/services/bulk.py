"""Seed 004's bulk generation for every face: the dry run's matrix and price, what an
earlier run already made, starting a run and following it cell by cell.

``storyreel bulk``, ``/api/v1/bulk`` and the UI's bulk page all plan with ``bulk.plan``
and show the plan as one ``BulkPlanOut``, so the numbers a dry run shows are the same on
every face. The API and the UI refer to images already in the asset store (uploaded once,
checked once); the CLI reads a folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePosixPath

from dbos import DBOSClient
from sqlalchemy import select

from storyreel.bulk.export import ExportResult, export_bulk
from storyreel.bulk.inputs import IMAGE_SUFFIXES, BulkImage, parse_prompts
from storyreel.bulk.plan import BulkOptions, BulkPlan, plan_bulk
from storyreel.bulk.rows import CreatedBulk
from storyreel.bulk.run import bulk_status, queue_bulk, start_bulk
from storyreel.catalog import Catalog
from storyreel.engine import jobs
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import preflight_request
from storyreel.errors import InputError, NotFound
from storyreel.providers.types import JobState
from storyreel.store.assets import extension_for
from storyreel.store.models import Asset, Bulk, BulkItem, Job
from storyreel.store.records import add_asset, store_image

from .bulk_out import BulkItemOut as BulkItemOut
from .bulk_out import BulkPlanOut as BulkPlanOut
from .generation import check_image
from .jobs import final_job


def plan_out(plan: BulkPlan, done_keys: frozenset[str] | set[str] = frozenset()) -> BulkPlanOut:
    """The plan as every face shows it; ``done_keys`` are the request hashes already made."""
    prices: dict[str, Decimal | None] = {}
    for planned in plan.items:
        prices.setdefault(planned.request.cache_key(), planned.estimate_usd)
    remaining = [usd for key, usd in prices.items() if key not in done_keys]
    to_buy = (
        None
        if any(usd is None for usd in remaining)
        else sum((usd for usd in remaining if usd is not None), Decimal(0))
    )
    return BulkPlanOut(
        key=plan.key,
        model=plan.model,
        resolution=plan.resolution,
        duration=plan.duration,
        one_to_one=plan.one_to_one,
        images=len(plan.images),
        prompts=len(plan.prompts),
        jobs=plan.job_count,
        total_usd=plan.total_usd,
        done=sum(1 for key in prices if key in done_keys),
        to_buy_usd=to_buy,
        items=[
            BulkItemOut(
                position=p.item.position,
                image=p.item.image.name,
                prompt_number=p.item.prompt_number,
                prompt=p.item.prompt,
                estimate_usd=p.estimate_usd,
                done=p.request.cache_key() in done_keys,
            )
            for p in plan.items
        ],
    )


async def finished_keys(rt: Runtime, plan: BulkPlan) -> set[str]:
    """The request hashes of the plan that an earlier run (this bulk or any identical
    request) already made: a run reuses those jobs instead of buying them again."""
    keys = {planned.request.cache_key() for planned in plan.items}
    async with rt.db.session() as session:
        found = await jobs.find_reusable_many(session, keys)
    return {key for key, job in found.items() if job.status == JobState.SUCCEEDED.value}


def prompt_list(value: str | Sequence[str]) -> list[str]:
    """The prompts of a prompts file's text, or of a list (each entry one prompt)."""
    if isinstance(value, str):
        return parse_prompts(value, source="prompts")
    prompts = parse_prompts("\n---\n".join(value), source="prompts")
    if len(prompts) != len(value):
        raise InputError("prompts: every prompt in the list must hold some text")
    return prompts


async def stored_images(rt: Runtime, images: Sequence[tuple[str, str | None]]) -> list[BulkImage]:
    """(sha256, name) of uploaded images as the bulk's images; an unknown sha is an error."""
    found = []
    async with rt.db.session() as session:
        for sha, given in images:
            asset = await session.get(Asset, sha)
            if asset is None or not asset.mime.startswith("image/"):
                raise InputError(
                    f"images: no uploaded image {sha[:12]}...; POST it to /api/v1/uploads first"
                )
            name = given or f"{sha[:12]}{extension_for(asset.mime)}"
            path = rt.assets.path(sha, asset.mime)
            found.append(BulkImage(name=name, path=path, sha256=sha, mime=asset.mime))
    return found


async def plan_stored(
    rt: Runtime,
    catalog: Catalog,
    images: Sequence[tuple[str, str | None]],
    prompts: str | Sequence[str],
    options: BulkOptions,
    *,
    face: str,
) -> BulkPlan:
    """Plan a bulk over uploaded images (the API's and the UI's dry run and run)."""
    bulk_images = await stored_images(rt, images)
    texts = prompt_list(prompts)
    title = f"bulk: {len(bulk_images)} images x {len(texts)} prompts ({face})"
    return plan_bulk(catalog, bulk_images, texts, options, title=title)


async def estimate(rt: Runtime, plan: BulkPlan) -> BulkPlanOut:
    """The dry run's answer: the plan, with what is already done marked."""
    return plan_out(plan, await finished_keys(rt, plan))


def check(rt: Runtime, plan: BulkPlan, *, client: DBOSClient | None) -> None:
    """What ``launch`` checks before it creates anything (the provider can take the jobs,
    its key is here unless workers hold it): run it for every bulk of a batch first, so
    a refused one leaves none of the others half started."""
    preflight_request(rt, plan.items[0].request, need_key=client is None)


async def launch(
    rt: Runtime,
    plan: BulkPlan,
    *,
    budget_usd: Decimal | None,
    client: DBOSClient | None,
) -> CreatedBulk:
    """Create the bulk's jobs and queue them: on this process's engine, or (``client``)
    for the worker processes."""
    if client is not None:
        return await queue_bulk(rt, plan, budget_usd=budget_usd, client=client)
    created, _ = await start_bulk(rt, plan, budget_usd=budget_usd)
    return created


DOWNLOADS = "downloads"
"""Where a server exports a bulk's videos and ``index.csv``, under its data dir."""


async def export_downloads(rt: Runtime, data_path: Path, bulk_id: str) -> ExportResult:
    """Copy the bulk's finished videos to ``<data dir>/downloads`` under seed 004's names
    and rewrite its ``index.csv`` (idempotent). NotFound before anything is written."""
    await bulk_status(rt, bulk_id)
    return await export_bulk(rt, bulk_id, data_path / DOWNLOADS)


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    max_pixels: int


async def add_uploads(
    rt: Runtime, files: Sequence[tuple[str, bytes]], limits: UploadLimits
) -> list[tuple[str, str]]:
    """Check and store uploaded images (a folder's files or single files), sorted by name
    as the CLI reads a folder: (sha256, name) each. Hidden files (``.DS_Store``) are
    skipped; any other file that is not an image within the limits is refused, naming it.
    """
    kept: list[tuple[str, str]] = []
    checked: list[tuple[str, bytes, str]] = []
    for raw_name, data in files:
        name = PurePosixPath(raw_name.replace("\\", "/")).name or "upload"
        if name.startswith("."):
            continue
        if PurePosixPath(name).suffix.lower() not in IMAGE_SUFFIXES:
            kinds = ", ".join(sorted(IMAGE_SUFFIXES))
            raise InputError(f"{name} is not an image ({kinds})")
        mime = check_image(
            data, name=name, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels
        )
        checked.append((name, data, mime))
    if not checked:
        raise InputError("no images were uploaded: choose a folder or image files")
    seen: set[str] = set()
    names: set[str] = set()
    for name, data, mime in sorted(checked, key=lambda c: c[0]):
        info = store_image(rt.assets, data, mime)
        sha = str(info["sha256"])
        if sha in seen:
            continue  # the same image chosen twice (in the folder and as a file)
        seen.add(sha)
        async with rt.db.session() as session:
            await add_asset(session, info)
        kept.append((sha, _unique(name, names)))
    return kept


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``stem (2).ext`` when another image already has it: the matrix and
    index.csv tell images apart by name."""
    path = PurePosixPath(name)
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{path.stem} ({n}){path.suffix}"
    taken.add(candidate)
    return candidate


@dataclass(frozen=True)
class Cell:
    """One image x prompt of a running bulk, as its job stands."""

    position: int
    image: str
    prompt_number: int
    prompt: str
    job_id: str | None
    status: str
    cost_usd: Decimal | None
    error: str | None


async def cells(rt: Runtime, bulk_id: str) -> list[Cell]:
    """Every item of the bulk with its job's state, in matrix order (one query). An item
    whose job failed over shows the job that took it over (the one making its video)."""
    async with rt.db.session() as session:
        if await session.get(Bulk, bulk_id) is None:
            raise NotFound(f"no bulk {bulk_id!r}")
        rows = (
            await session.execute(
                select(BulkItem, Job.status, Job.cost_usd, Job.error, Job.failover_to)
                .outerjoin(Job, Job.id == BulkItem.job_id)
                .where(BulkItem.bulk_id == bulk_id)
                .order_by(BulkItem.position)
            )
        ).all()
    found = []
    for item, status, cost, error, failover_to in rows:
        job_id = item.job_id
        if failover_to:
            final = await final_job(rt, failover_to)
            job_id, status, cost, error = final.id, final.status, final.cost_usd, final.error
        found.append(
            Cell(
                position=item.position,
                image=item.image_name,
                prompt_number=item.prompt_number,
                prompt=item.prompt,
                job_id=job_id,
                status=status or "queued",
                cost_usd=cost,
                error=error,
            )
        )
    return found
