"""The playground's form: its fields as posted, the models each mode offers, and the API
bodies (``GenerateIn``) a submission means.

The form is turned into the same ``GenerateIn`` that ``POST /api/v1/jobs`` takes, so that
the estimate, the checks and the submission are the API's own; nothing here prices or
validates a request by itself beyond reading the form's strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from itertools import groupby
from typing import Any, Literal

from pydantic import ValidationError

from storyreel.api.schemas import GenerateIn
from storyreel.catalog import Catalog, ModelEntry
from storyreel.errors import InputError
from storyreel.services.generation import wanted_tasks
from storyreel.vocabulary import IMAGE_TASKS, VIDEO_TASKS, Task

Kind = Literal["image", "video"]
MODES: tuple[str, ...] = ("image", "video", "both")
#: Sizes offered for a model whose catalog entry lists none (adapters map a request to the
#: nearest size the model has).
COMMON_SIZES = ("1024x1024", "1536x1024", "1024x1536", "1280x720", "720x1280")
QUALITY_DEFAULT = "low"  # seed 004: the playground's GPT image quality starts at low
MAX_REFERENCES = 8  # as the API's multipart routes


def kinds_of(mode: str) -> list[Kind]:
    """The kinds of job a mode submits: "both" is an image and a video, side by side."""
    if mode == "both":
        return ["image", "video"]
    return ["video"] if mode == "video" else ["image"]


def makes(entry: ModelEntry, kind: Kind) -> bool:
    tasks = IMAGE_TASKS if kind == "image" else VIDEO_TASKS
    return any(task in tasks for task in entry.tasks)


def model_groups(catalog: Catalog, kind: Kind) -> list[tuple[str, list[ModelEntry]]]:
    """The models that make ``kind``, grouped by provider (providers and models sorted)."""
    entries = sorted(
        (m for m in catalog.models() if makes(m, kind)), key=lambda m: (m.provider, m.title)
    )
    return [(provider, list(group)) for provider, group in groupby(entries, lambda m: m.provider)]


def default_model(catalog: Catalog, kind: Kind) -> str:
    """The first model of the failover chain for a text-only request of ``kind``, else the
    first model that makes it."""
    task = Task.TEXT_TO_IMAGE if kind == "image" else Task.TEXT_TO_VIDEO
    chain = catalog.chains().get(task) or []
    if chain:
        return chain[0]
    groups = model_groups(catalog, kind)
    return groups[0][1][0].id if groups else ""


@dataclass(frozen=True)
class PlaygroundForm:
    """The form's values as strings, exactly as posted (re-rendered as they were)."""

    mode: str = "image"
    image_model: str = ""
    video_model: str = ""
    prompt: str = ""
    seed: str = ""
    budget: str = ""
    image_size: str = ""
    image_count: str = "1"
    image_quality: str = QUALITY_DEFAULT
    video_duration: str = ""
    video_resolution: str = ""
    video_aspect: str = ""
    video_audio: bool = False
    references: int = 0
    """How many reference files the form carries (the drop zone's count, or the uploads)."""
    reference_assets: tuple[str, ...] = ()
    """Stored images used as references by sha256 (a result card's "Animate")."""

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> PlaygroundForm:
        """From a posted form (or query parameters); unknown keys are ignored."""

        def text(key: str, default: str = "") -> str:
            value = data.get(key)
            return value.strip() if isinstance(value, str) else default

        mode = text("mode", "image")
        refs = text("references", "0")
        getlist = getattr(data, "getlist", None)
        assets = getlist("reference_asset") if callable(getlist) else []
        return cls(
            mode=mode if mode in MODES else "image",
            image_model=text("image_model"),
            video_model=text("video_model"),
            prompt=text("prompt"),
            seed=text("seed"),
            budget=text("budget"),
            image_size=text("image_size"),
            image_count=text("image_count", "1") or "1",
            image_quality=text("image_quality", QUALITY_DEFAULT) or QUALITY_DEFAULT,
            video_duration=text("video_duration"),
            video_resolution=text("video_resolution"),
            video_aspect=text("video_aspect"),
            video_audio=data.get("video_audio") in ("on", "1", "true"),
            references=int(refs) if refs.isdigit() else 0,
            reference_assets=tuple(a.strip() for a in assets if isinstance(a, str) and a.strip()),
        )

    @property
    def reference_count(self) -> int:
        """Every input image: files and stored images."""
        return self.references + len(self.reference_assets)

    def with_defaults(self, catalog: Catalog) -> PlaygroundForm:
        """Empty model pickers get the default model of their kind."""
        return replace(
            self,
            image_model=self.image_model or default_model(catalog, "image"),
            video_model=self.video_model or default_model(catalog, "video"),
        )

    def with_model_defaults(self, catalog: Catalog) -> PlaygroundForm:
        """Options that follow the picked model when it changes: audio as the video model
        makes it by default (Veo: on)."""
        entry = self.entry(catalog, "video")
        return replace(self, video_audio=bool(entry is not None and entry.default_audio))

    def model(self, kind: Kind) -> str:
        return self.image_model if kind == "image" else self.video_model

    def model_name(self, catalog: Catalog, kind: Kind) -> str:
        """The name to ask the API for: the picked model, or its alias when the model
        cannot do what the form asks (``flux-2-pro`` picked with a reference image is
        ``flux-2-pro/edit``, as the alias means in the API and the CLI)."""
        entry = self.entry(catalog, kind)
        if entry is None or not entry.aliases:
            return self.model(kind)
        wanted = wanted_tasks(kind, self.reference_count)
        return self.model(kind) if any(t in entry.tasks for t in wanted) else entry.aliases[0]

    def entry(self, catalog: Catalog, kind: Kind) -> ModelEntry | None:
        """The picked model's catalog entry, or None when the name is unknown."""
        try:
            return catalog.resolve(self.model(kind))
        except InputError:
            return None

    def budget_usd(self) -> Decimal | None:
        """The budget field as an amount; None when empty or unreadable (the body says
        why)."""
        try:
            return _money(self.budget)
        except InputError:
            return None

    def body(self, catalog: Catalog, kind: Kind, *, prompt: str | None = None) -> GenerateIn:
        """The API body this form means for one kind of job; InputError in words for a
        value the API would refuse. ``prompt`` stands in for an empty prompt (estimates)."""
        entry = self.entry(catalog, kind)
        fields: dict[str, Any] = {
            "kind": kind,
            "model": self.model_name(catalog, kind),
            "prompt": self.prompt or (prompt or ""),
            "seed": _integer(self.seed, "seed"),
            "budget_usd": _money(self.budget),
            "reference_assets": list(self.reference_assets),
        }
        if kind == "image":
            fields["count"] = _integer(self.image_count, "number of images")
            if self.image_size:
                width, _, height = self.image_size.partition("x")
                fields["width"] = _integer(width, "width")
                fields["height"] = _integer(height, "height")
            if entry is not None and entry.qualities:
                fields["quality"] = self.image_quality
        else:
            fields["duration"] = _number(self.video_duration, "duration")
            fields["resolution"] = self.video_resolution or None
            fields["aspect"] = self.video_aspect or None
            if entry is not None and entry.audio:
                fields["audio"] = self.video_audio
        try:
            return GenerateIn.model_validate(fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "form"
            raise InputError(f"{where}: {first.get('msg')}") from None


def _integer(text: str, what: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{what} must be a whole number, not {text[:40]!r}") from None


def _number(text: str, what: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{what} must be a number, not {text[:40]!r}") from None


def _money(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text.lstrip("$"))
    except InvalidOperation:
        raise InputError(f"budget must be an amount in USD, not {text[:40]!r}") from None
