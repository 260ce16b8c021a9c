"""A bulk bound to a real model and priced: what a dry run shows and a run creates.

Every item becomes an image-to-video ``GenerationRequest`` on the model the ``--model``
name means for image-to-video, checked against the catalog (durations, resolutions) and
priced by ``catalog.billing``, the same numbers ``storyreel cost estimate`` gives. The
bulk's ``key`` hashes everything that changes what is made (images, prompts, pairing,
model, resolution, duration; not the budget), so running the same command again finds the
same bulk and its jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError

from storyreel.bulk import DEFAULT_MODEL as DEFAULT_MODEL
from storyreel.catalog import Catalog, billing
from storyreel.config import Settings
from storyreel.errors import InputError
from storyreel.ids import content_hash
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

from .inputs import BulkImage, read_images, read_prompts
from .matrix import MatrixItem, build_matrix


@dataclass(frozen=True)
class BulkOptions:
    """What the user chose besides the two inputs. ``None``: the model's default, written
    into every request so the index shows what was asked and billed."""

    model: str = DEFAULT_MODEL
    resolution: str | None = None
    duration: float | None = None
    one_to_one: bool = False


@dataclass(frozen=True)
class PlannedItem:
    item: MatrixItem
    request: GenerationRequest
    estimate_usd: Decimal | None


@dataclass
class BulkPlan:
    """Every item bound and priced, plus what identifies the bulk."""

    title: str
    model: str
    resolution: str | None
    duration: float | None
    one_to_one: bool
    images: list[BulkImage]
    prompts: list[str]
    items: list[PlannedItem] = field(default_factory=list)
    key: str = ""

    @property
    def total_usd(self) -> Decimal | None:
        """The sum of every distinct job's estimate (a repeated pair is one job); None
        when the model is not priced."""
        seen: dict[str, Decimal | None] = {}
        for planned in self.items:
            seen.setdefault(planned.request.cache_key(), planned.estimate_usd)
        if any(v is None for v in seen.values()):
            return None
        return sum((v for v in seen.values() if v is not None), Decimal(0))

    @property
    def job_count(self) -> int:
        return len({planned.request.cache_key() for planned in self.items})


def _request(**fields: object) -> GenerationRequest:
    try:
        return GenerationRequest(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InputError(f"{where}: {message}" if where else message) from None


def plan_bulk(
    catalog: Catalog,
    images: Sequence[BulkImage],
    prompts: Sequence[str],
    options: BulkOptions,
    *,
    title: str = "bulk",
) -> BulkPlan:
    """Pair, bind, check and price; raises InputError before anything is stored."""
    entry = catalog.for_task(options.model, Task.IMAGE_TO_VIDEO)
    matrix = build_matrix(images, prompts, one_to_one=options.one_to_one)
    items: list[PlannedItem] = []
    for item in matrix:
        reference = Reference(
            role=RefRole.FIRST_FRAME, asset=item.image.sha256, mime=item.image.mime
        )
        req = _request(
            task=Task.IMAGE_TO_VIDEO,
            model=entry.id,
            prompt=item.prompt,
            references=(reference,),
            duration=options.duration or entry.default_duration,
            resolution=options.resolution or entry.default_resolution,
        )
        # Checked as asked (a 7 s clip is refused, as ``generate video`` refuses it),
        # then bound: the request carries the model's full id.
        catalog.validate_request(req)
        req = catalog.bind(req)
        items.append(PlannedItem(item, req, billing.estimate(catalog, req)))
    first = items[0].request
    plan = BulkPlan(
        title=title,
        model=entry.id,
        resolution=first.resolution,
        duration=first.duration,
        one_to_one=options.one_to_one,
        images=list(images),
        prompts=list(prompts),
        items=items,
    )
    plan.key = content_hash(
        {
            "kind": "bulk",
            "model": plan.model,
            "resolution": plan.resolution,
            "duration": plan.duration,
            "one_to_one": plan.one_to_one,
            "prompts": plan.prompts,
            "images": [[image.name, image.sha256] for image in images],
        }
    )
    return plan


def load_plan(
    settings: Settings, prompts_file: Path, images_dir: Path, options: BulkOptions
) -> BulkPlan:
    """Read both inputs and plan the bulk (the dry run's whole work)."""
    prompts = read_prompts(prompts_file)
    images = read_images(
        images_dir, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels
    )
    title = f"bulk: {prompts_file.name} x {images_dir.resolve().name or images_dir}"
    return plan_bulk(Catalog.load(settings), images, prompts, options, title=title)
