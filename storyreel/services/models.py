"""The catalog as people browse it: every model with its kind, tasks, price and options,
filtered by kind, provider, task, text and a price ceiling.

``storyreel models`` and the UI's prices page list the same rows. A model's "default
job" price is what one job at the model's defaults costs (``Catalog.estimate``, the number
``storyreel cost estimate -m MODEL`` prints); a subscription model's job costs $0 (its plan
is a monthly fee: see ``services.subscription``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from storyreel.catalog import Catalog, ModelEntry, SubscriptionRule
from storyreel.catalog.pricing import seconds_key
from storyreel.errors import InputError
from storyreel.vocabulary import GenerationRequest, Task

KINDS = ("image", "video", "audio", "text")
"""Output kinds in the order the filter offers them."""


def limits(entry: ModelEntry) -> str:
    """Durations, resolutions and audio of a model in one short line (empty: any)."""
    parts = []
    if entry.durations:
        parts.append(", ".join(seconds_key(d) for d in entry.durations) + " s")
    if entry.resolutions:
        parts.append(", ".join(entry.resolutions))
    if entry.audio:
        parts.append("audio")
    return "; ".join(parts)


def default_job_usd(catalog: Catalog, entry: ModelEntry) -> Decimal | None:
    """One job of the model's first task at its defaults; None where the price needs
    facts a default job cannot give."""
    try:
        req = GenerationRequest(task=entry.tasks[0], model=entry.id)
        return catalog.estimate(req)
    except (InputError, ValidationError, ValueError):
        return None


@dataclass(frozen=True)
class ModelRow:
    entry: ModelEntry
    job_usd: Decimal | None

    @property
    def kind(self) -> str:
        return self.entry.output_kind

    @property
    def price(self) -> str:
        return self.entry.price.summary()

    @property
    def unit(self) -> str:
        """What the price is counted in, in words."""
        return UNITS.get(self.entry.price.kind, self.entry.price.kind.replace("_", " "))

    @property
    def subscription(self) -> bool:
        return isinstance(self.entry.price, SubscriptionRule)

    @property
    def options(self) -> str:
        facts = [limits(self.entry)] if limits(self.entry) else []
        if self.entry.sizes:
            facts.append(", ".join(self.entry.sizes))
        if self.entry.max_count > 1:
            facts.append(f"up to {self.entry.max_count} per job")
        return "; ".join(facts)


UNITS = {
    "free": "free",
    "per_image": "per output",
    "per_megapixel": "per megapixel",
    "per_image_by_quality": "per image, by quality",
    "per_second": "per second of video",
    "base_plus_per_second": "per clip, plus per extra second",
    "flat_by_duration": "per clip",
    "gpu_seconds": "per GPU second",
    "per_token": "per million tokens",
    "per_character": "per character",
    "subscription": "monthly plan",
}


@dataclass(frozen=True)
class ModelFilters:
    """Empty fields filter nothing."""

    kind: str = ""
    provider: str = ""
    task: str = ""
    text: str = ""
    max_usd: Decimal | None = None
    """Only models whose default job costs at most this (unpriced ones are left out)."""

    def matches(self, row: ModelRow) -> bool:
        entry = row.entry
        if self.kind and row.kind != self.kind:
            return False
        if self.provider and entry.provider != self.provider:
            return False
        if self.task and self.task not in {t.value for t in entry.tasks}:
            return False
        if self.text:
            haystack = " ".join([entry.id, entry.title, *entry.aliases, entry.family or ""])
            if self.text.casefold() not in haystack.casefold():
                return False
        if self.max_usd is not None:
            return row.job_usd is not None and row.job_usd <= self.max_usd
        return True


def model_rows(catalog: Catalog, filters: ModelFilters | None = None) -> list[ModelRow]:
    """The catalog's models (sorted by id) that pass ``filters``."""
    wanted = filters or ModelFilters()
    rows = [ModelRow(entry, default_job_usd(catalog, entry)) for entry in catalog.models()]
    return [row for row in rows if wanted.matches(row)]


def facets(catalog: Catalog) -> dict[str, list[str]]:
    """The values each filter can take in this catalog: kinds, providers, tasks."""
    entries = catalog.models()
    present = {entry.output_kind for entry in entries}
    used = {task for entry in entries for task in entry.tasks}
    return {
        "kinds": [kind for kind in KINDS if kind in present],
        "providers": sorted(catalog.providers()),
        "tasks": [task.value for task in Task if task in used],
    }


def models_for(catalog: Catalog, kind: str) -> list[ModelEntry]:
    """The models that make ``kind`` ("image" or "video") outputs, by id."""
    return [entry for entry in catalog.models() if entry.output_kind == kind]
