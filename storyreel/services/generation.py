"""Preparing one generation: which model and task a request means, its references, its
price and budget check. Everything here happens before a job exists, so a refused request
writes and buys nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from starlette.datastructures import UploadFile

from storyreel.catalog import Catalog, ModelEntry, billing
from storyreel.catalog.pricing import format_usd
from storyreel.errors import BudgetExceeded, InputError
from storyreel.media.images import inspect_image
from storyreel.store.assets import AssetStore
from storyreel.store.records import store_image
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

Kind = Literal["image", "video"]


def wanted_tasks(kind: Kind, refs: int) -> list[Task]:
    """The tasks a request can be, in order of preference, from what it carries."""
    if kind == "image":
        if refs == 0:
            return [Task.TEXT_TO_IMAGE]
        return [Task.REFERENCE_TO_IMAGE, Task.IMAGE_TO_IMAGE]
    if refs == 0:
        return [Task.TEXT_TO_VIDEO]
    if refs >= 2:
        return [Task.FIRST_LAST_TO_VIDEO]
    return [Task.IMAGE_TO_VIDEO]


def pick_model(catalog: Catalog, name: str, kind: Kind, refs: int) -> tuple[ModelEntry, Task]:
    """The model ``name`` means for this request and the task it runs: an alias such as
    ``flux-2-pro`` is the text-to-image model without references and the edit model with
    them."""
    wanted = wanted_tasks(kind, refs)
    for task in wanted:
        entry = catalog.resolve(name, task)
        if task in entry.tasks:
            return entry, task
    entry = catalog.resolve(name)
    raise InputError(
        f"{entry.id} cannot do {' or '.join(wanted)}; it does: {', '.join(entry.tasks)}"
    )


def reference_roles(task: Task, count: int) -> list[RefRole]:
    """What each of ``count`` input images is for, in the order given."""
    if task is Task.FIRST_LAST_TO_VIDEO:
        return [RefRole.FIRST_FRAME, RefRole.LAST_FRAME][:count]
    if task is Task.IMAGE_TO_VIDEO:
        return [RefRole.FIRST_FRAME] * count
    if task is Task.IMAGE_TO_IMAGE:
        return [RefRole.INIT_IMAGE] + [RefRole.CHARACTER] * (count - 1)
    return [RefRole.CHARACTER] * count


def check_image(data: bytes, *, name: str, max_bytes: int, max_pixels: int) -> str:
    """The MIME type of an input image, after the size, pixel and format checks."""
    return inspect_image(data, max_bytes=max_bytes, max_pixels=max_pixels, name=name).mime


async def read_image_upload(
    upload: UploadFile, *, max_bytes: int, max_pixels: int
) -> tuple[bytes, str]:
    """An uploaded input image and its MIME type, read no further than the cap (a huge
    upload is refused after ``max_bytes + 1`` bytes) and checked like ``check_image``.
    The API's multipart routes and the web UI's playground share it."""
    name = upload.filename or "upload"
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"{name} is larger than {max_bytes} bytes")
    return data, check_image(data, name=name, max_bytes=max_bytes, max_pixels=max_pixels)


@dataclass(frozen=True)
class Prepared:
    """A checked, priced request, its input images not stored yet."""

    entry: ModelEntry
    task: Task
    request: GenerationRequest
    estimate_usd: Decimal | None
    files: Sequence[tuple[bytes, str]] = field(default_factory=tuple)

    @property
    def estimate_text(self) -> str:
        return "unpriced" if self.estimate_usd is None else format_usd(self.estimate_usd)

    def with_references(self, assets: AssetStore) -> GenerationRequest:
        """The request carrying its input images, stored (content-addressed) first."""
        roles = reference_roles(self.task, len(self.files))
        references = []
        for (data, mime), role in zip(self.files, roles, strict=True):
            stored = store_image(assets, data, mime)
            references.append(Reference(role=role, asset=stored["sha256"], mime=mime))
        return self.request.model_copy(update={"references": tuple(references)})


def check_budget(entry: ModelEntry, estimate: Decimal | None, budget: Decimal | None) -> None:
    """Refuse a job estimated above ``budget`` (an unpriced one too: it has no bound)."""
    if budget is not None and (estimate is None or estimate > budget):
        shown = "unpriced" if estimate is None else format_usd(estimate)
        raise BudgetExceeded(
            f"{entry.id}: this job is estimated at {shown}, over the budget of "
            f"{format_usd(budget)}; nothing was submitted"
        )


def prepare(
    catalog: Catalog,
    *,
    kind: Kind,
    model: str,
    prompt: str,
    files: Sequence[tuple[bytes, str]] = (),
    budget: Decimal | None = None,
    **fields: object,
) -> Prepared:
    """Pick the model, validate the request against it, price it and check the budget.
    ``fields`` are ``GenerationRequest`` fields; ``None`` values are left unset."""
    entry, task = pick_model(catalog, model, kind, len(files))
    known = {k: v for k, v in fields.items() if v is not None}
    try:
        probe = GenerationRequest(task=task, model=entry.id, prompt=prompt, **known)
    except ValueError as exc:
        raise InputError(f"invalid request: {_first_error(exc)}") from None
    catalog.validate_request(probe)
    estimate = billing.estimate(catalog, probe)
    check_budget(entry, estimate, budget)
    return Prepared(entry, task, probe, estimate, tuple(files))


def estimate(
    catalog: Catalog,
    *,
    kind: Kind,
    model: str,
    prompt: str,
    references: int = 0,
    budget: Decimal | None = None,
    **fields: object,
) -> Prepared:
    """What a generation with ``references`` input images would cost, checked exactly as
    ``prepare`` checks it (model, options, budget) but with nothing read or stored: the
    API's ``/api/v1/estimate`` and the UI's live estimate are this one function."""
    placeholder = (b"", "image/png")
    return prepare(
        catalog,
        kind=kind,
        model=model,
        prompt=prompt,
        files=[placeholder] * references,
        budget=budget,
        **fields,
    )


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return str(exc)
