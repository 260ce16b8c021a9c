"""Catalog entries for the diffusers models found on this disk (``local:<name>``).

They are not in the shipped data because they differ per machine: ``Catalog.load`` adds
one free entry per model that ``storyreel.localmodels`` finds, plus the configured
default model, so ``storyreel models`` lists them beside the catalog and the billing code
prices them at $0 like any other free model.
"""

from __future__ import annotations

from collections.abc import Iterable

from storyreel.config import LocalSettings
from storyreel.localmodels import IMAGE_TASKS, LocalModel, find_local_models, locate
from storyreel.vocabulary import Task

from .price_rules import FreeRule
from .schema import ModelEntry

PROVIDER = "local"
PRICE_SOURCE = "built in, runs locally: no bill per job (electricity not counted)"


def _entry(model: LocalModel, *, references: bool) -> ModelEntry:
    video = model.is_video
    return ModelEntry(
        id=f"{PROVIDER}:{model.name}",
        title=f"{model.pipeline} from {model.source} ({model.path})",
        tasks=model.tasks(references=references),
        max_references=1 if video else 2 + 4 * references,
        max_count=1 if video else 4,
        default_duration=2 if video else None,
        price=FreeRule(),
        price_source=PRICE_SOURCE,
    )


def _configured(name: str, *, references: bool) -> ModelEntry:
    """The configured model when it is not on disk yet (a hub id to download)."""
    tasks = [*IMAGE_TASKS, *([Task.REFERENCE_TO_IMAGE] if references else [])]
    return ModelEntry(
        id=f"{PROVIDER}:{name}",
        title=f"{name} (not downloaded yet; STORYREEL_LOCAL__ALLOW_DOWNLOAD=true fetches it)",
        tasks=tasks,
        max_references=2 + 4 * references,
        max_count=4,
        price=FreeRule(),
        price_source=PRICE_SOURCE,
    )


def local_entries(local: LocalSettings, known: Iterable[str]) -> list[ModelEntry]:
    """Entries for local models the catalog does not have yet."""
    have = set(known)
    references = local.ip_adapter is not None
    found = find_local_models(local)
    for name in (local.model, local.video_model):
        if name and name not in {m.name for m in found}:
            model = locate(name, local)
            if model is not None:
                found.append(model)
    entries = [_entry(m, references=references) for m in found]
    if f"{PROVIDER}:{local.model}" not in {e.id for e in entries}:
        entries.append(_configured(local.model, references=references))
    return [e for e in entries if e.id not in have]
