"""The model catalog: every model storyreel knows, its limits, its price, its failover.

Built-in data and the user's file are read and merged in ``files``; the catalog is
loaded once per user file version, so asking it is free.

It answers four questions before anything is bought: *which model is this name*
(``resolve``), *may I send this request* (``validate_request``), *what will it cost*
(``estimate``) and *what do I try when it fails* (``chain``).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from storyreel import localmodels
from storyreel.config import LocalSettings, Settings, load_settings
from storyreel.errors import ConfigError, InputError
from storyreel.ids import content_hash
from storyreel.vocabulary import GenerationRequest, Task, parse_size

from .files import (
    CHAINS_FILE_NAME,
    USER_FILE_NAME,
    RawCatalog,
    Source,
    builtin_data,
    builtin_model_files,
    user_catalog_path,
)
from .local import local_entries
from .price_rules import SubscriptionRule
from .pricing import DEFAULT_SIZE, PriceInputs, quantize, seconds_decimal, seconds_key
from .schema import ModelEntry

# -- the catalog --------------------------------------------------------------------------


class Catalog:
    """Validated, immutable catalog data with the lookups the rest of storyreel needs."""

    def __init__(
        self,
        models: Iterable[ModelEntry],
        *,
        chains: Mapping[str, Sequence[str]] | None = None,
        fallbacks: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._models: dict[str, ModelEntry] = {}
        self._aliases: dict[str, list[ModelEntry]] = {}
        for entry in models:
            if entry.id in self._models:
                raise ConfigError(f"model {entry.id} is defined twice")
            self._models[entry.id] = entry
        for entry in self._models.values():
            for alias in entry.aliases:
                key = alias.lower()
                if key in self._models:
                    raise ConfigError(f"alias {alias!r} of {entry.id} is another model's id")
                # One alias may name a family's models for different tasks (flux-2-pro is
                # the text-to-image endpoint without references and the edit endpoint with
                # them), but never two models for the same task.
                for other in self._aliases.get(key, []):
                    if set(other.tasks) & set(entry.tasks):
                        raise ConfigError(f"alias {alias!r} names both {other.id} and {entry.id}")
                self._aliases.setdefault(key, []).append(entry)
        self._chains = self._check_chains(chains or {})
        self._fallbacks = self._check_fallbacks(fallbacks or {})
        self._digest: str | None = None

    # construction

    @classmethod
    def from_files(
        cls,
        model_files: Iterable[Source],
        *,
        chains_file: Source | None = None,
        override: Source | None = None,
    ) -> Catalog:
        raw = RawCatalog()
        for source in model_files:
            raw.add_file(source)
        if chains_file is not None:
            raw.add_chains(chains_file)
        if override is not None:
            raw.apply_user(override)
        return cls(raw.entries(), chains=raw.chains, fallbacks=raw.fallbacks)

    @classmethod
    def builtin(cls) -> Catalog:
        """Only the data shipped with storyreel (no user file)."""
        return _cached(None, 0, 0)

    @classmethod
    def load(cls, settings: Settings | None = None) -> Catalog:
        """Built-in data merged with the user's catalog file, cached per file version."""
        cfg = settings if settings is not None else load_settings()
        path = user_catalog_path(cfg)
        if path is None:
            base = _cached(None, 0, 0)
        else:
            stat = path.stat()
            base = _cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        local = cfg.local_resolved
        return _with_local(base, local, localmodels.cache_key(local))

    def with_models(self, entries: Iterable[ModelEntry]) -> Catalog:
        """This catalog plus ``entries`` (the local models found on disk)."""
        extra = list(entries)
        if not extra:
            return self
        chains = {str(task): ids for task, ids in self._chains.items()}
        return Catalog([*self._models.values(), *extra], chains=chains, fallbacks=self._fallbacks)

    def _check_chains(self, chains: Mapping[str, Sequence[str]]) -> dict[Task, list[str]]:
        checked: dict[Task, list[str]] = {}
        for name, members in chains.items():
            try:
                task = Task(name)
            except ValueError:
                tasks = ", ".join(t.value for t in Task)
                raise ConfigError(f"chain {name!r} is not a task; tasks: {tasks}") from None
            ids = [self._chain_member(m, f"chain {name}") for m in members]
            for model_id in ids:
                if task not in self._models[model_id].tasks:
                    raise ConfigError(f"chain {name}: {model_id} cannot do {task}")
            checked[task] = _unique(ids)
        return checked

    def _check_fallbacks(self, fallbacks: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
        checked: dict[str, list[str]] = {}
        for name, members in fallbacks.items():
            owner = self._models[self._chain_member(name, "fallbacks")]
            ids = [self._chain_member(m, f"fallbacks of {owner.id}") for m in members]
            for model_id in ids:
                if not set(owner.tasks) & set(self._models[model_id].tasks):
                    raise ConfigError(f"fallbacks of {owner.id}: {model_id} shares no task with it")
            checked[owner.id] = [m for m in _unique(ids) if m != owner.id]
        return checked

    def _chain_member(self, name: str, where: str) -> str:
        try:
            return self.resolve(name).id
        except InputError as exc:
            raise ConfigError(f"{where}: {exc.message}") from None

    # lookups

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self.resolve(name)
        except InputError:
            return False
        return True

    def resolve(self, name: str, task: Task | None = None) -> ModelEntry:
        """A model by its full id (``fal:fal-ai/flux-2-pro/edit``) or an alias (``kling``).

        An alias that names several models (one per task) resolves to the one that can do
        ``task``; without a task, to the first one defined. A full id is always that model.
        """
        wanted = name.strip()
        entry = self._models.get(wanted)
        if entry is not None:
            return entry
        named = self._aliases.get(wanted.lower())
        if named:
            if task is not None:
                for candidate in named:
                    if task in candidate.tasks:
                        return candidate
            return named[0]
        folded = [m for m in self._models.values() if m.id.lower() == wanted.lower()]
        if len(folded) == 1:
            return folded[0]
        names = [*self._aliases, *self._models]
        close = difflib.get_close_matches(wanted.lower(), names, n=4, cutoff=0.6)
        if not close:
            close = difflib.get_close_matches(wanted.lower(), names, n=4, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InputError(
            f"unknown model {name!r}{hint} ('storyreel models' lists them; "
            f"{USER_FILE_NAME} in the data dir can add one)"
        )

    def for_task(self, name: str, task: Task) -> ModelEntry:
        """The model ``name`` means for ``task``, or an InputError saying what it can do."""
        entry = self.resolve(name, task)
        if task not in entry.tasks:
            can = ", ".join(entry.tasks)
            raise InputError(f"{entry.id} cannot do {task}; it does: {can}")
        return entry

    def bind(self, req: GenerationRequest) -> GenerationRequest:
        """``req`` with its model written as the full id of the model its name means for
        its task, and a fixed-duration model's duration snapped to the length it will
        really produce (and bill). Raises InputError if no such model can take it."""
        entry = self.for_task(req.model, req.task)
        update: dict[str, object] = {}
        if entry.id != req.model:
            update["model"] = entry.id
        billed = billed_duration(entry, req.duration)
        if billed != req.duration:
            update["duration"] = billed
        return req.model_copy(update=update) if update else req

    def models(self, task: Task | None = None) -> list[ModelEntry]:
        """Every model (sorted by id), or those that can do ``task``."""
        entries = sorted(self._models.values(), key=lambda m: m.id)
        return [m for m in entries if task is None or task in m.tasks]

    def digest(self) -> str:
        """The hash of every model, chain and fallback: what decides what a request
        becomes and costs. A story run that ended records it (``story/unchanged.py``)."""
        if self._digest is None:
            self._digest = content_hash(
                {
                    "models": [m.model_dump(mode="json") for m in self.models()],
                    "chains": {str(task): ids for task, ids in self._chains.items()},
                    "fallbacks": self._fallbacks,
                }
            )
        return self._digest

    def providers(self) -> set[str]:
        """The providers the catalog has models of."""
        return {m.provider for m in self._models.values()}

    def aliases(self) -> dict[str, list[str]]:
        """Alias -> the model ids it names (one per task), sorted by alias."""
        return {alias: [m.id for m in self._aliases[alias]] for alias in sorted(self._aliases)}

    # failover

    def chains(self) -> dict[Task, list[str]]:
        return {task: list(ids) for task, ids in self._chains.items()}

    def chain(
        self, model_id: str, task: Task | None = None, *, same_family: bool = False
    ) -> list[str]:
        """The models to try, in order, after ``model_id`` fails for good.

        The model's own ``[fallbacks]`` list wins; otherwise the chain of ``task`` (default:
        the model's first task): the models after it, or the whole chain when the model is
        not in it. Never includes the model itself. ``same_family`` keeps only the same
        model at other providers (a story's panels all drawn by one model family).
        """
        entry = self.resolve(model_id, task)
        if entry.id in self._fallbacks:
            chain = list(self._fallbacks[entry.id])
        else:
            full = self._chains.get(task or entry.tasks[0], [])
            chain = full[full.index(entry.id) + 1 :] if entry.id in full else list(full)
        if same_family:
            chain = [m for m in chain if self._models[m].family_name == entry.family_name]
        return chain

    # checks and prices

    def validate_request(self, req: GenerationRequest) -> ModelEntry:
        """Raise InputError, naming the model and what it allows, for a request it cannot
        take; return its entry otherwise."""
        entry = self.resolve(req.model, req.task)
        if req.task not in entry.tasks:
            can = ", ".join(entry.tasks)
            raise InputError(f"{entry.id} cannot do {req.task}; it does: {can}")
        if len(req.references) > entry.max_references:
            raise InputError(
                f"{entry.id} takes at most {entry.max_references} reference image"
                f"{'s' * (entry.max_references != 1)}, got {len(req.references)}"
            )
        if req.count > entry.max_count:
            raise InputError(
                f"{entry.id} makes at most {entry.max_count} output"
                f"{'s' * (entry.max_count != 1)} per job, got {req.count}"
            )
        if req.duration is not None and entry.durations and req.duration not in entry.durations:
            allowed = ", ".join(seconds_key(d) for d in entry.durations)
            raise InputError(
                f"{entry.id}: a {seconds_key(req.duration)} s clip is not possible; "
                f"durations: {allowed} s"
            )
        if req.resolution and entry.resolutions and req.resolution not in entry.resolutions:
            allowed = ", ".join(entry.resolutions)
            raise InputError(
                f"{entry.id}: resolution {req.resolution} is not possible; resolutions: {allowed}"
            )
        if req.audio and not entry.audio:
            raise InputError(f"{entry.id} cannot generate audio")
        quality = req.extra.get("quality")
        if quality is not None and entry.qualities and str(quality) not in entry.qualities:
            allowed = ", ".join(entry.qualities)
            raise InputError(f"{entry.id}: quality {quality} is not one of {allowed}")
        return entry

    def estimate(self, req: GenerationRequest) -> Decimal:
        """What ``req`` should cost in USD (6 decimal places), from the model's price rule
        and its defaults for whatever the request leaves unset. A subscription model's job
        costs 0 (its plan is a monthly fee, see ``plan``)."""
        entry = self.resolve(req.model, req.task)
        try:
            return quantize(entry.price.cost(price_inputs(entry, req)))
        except InputError as exc:
            raise InputError(f"{entry.id}: {exc.message}") from exc

    def plan(self, name: str) -> tuple[ModelEntry, SubscriptionRule]:
        """The subscription behind a provider (``modelslab``) or a model covered by one."""
        candidates = [m for m in self.models() if m.provider == name]
        if not candidates:
            candidates = [self.resolve(name)]
        for entry in candidates:
            if isinstance(entry.price, SubscriptionRule):
                return entry, entry.price
        plans = sorted({m.provider for m in self.models() if isinstance(m.price, SubscriptionRule)})
        raise InputError(
            f"{name!r} is not priced by a subscription; plans: {', '.join(plans) or 'none'}"
        )


def billed_duration(entry: ModelEntry, seconds: float | None) -> float | None:
    """The clip length a model will produce (and bill) for ``seconds``: a model with fixed
    durations renders the shortest one that covers it (the clip is trimmed to the plan
    afterwards), or its longest when none does."""
    if seconds is None or not entry.durations or seconds in entry.durations:
        return seconds
    longer = [d for d in sorted(entry.durations) if d >= seconds]
    return longer[0] if longer else max(entry.durations)


def price_inputs(entry: ModelEntry, req: GenerationRequest) -> PriceInputs:
    """The request's facts with the model's defaults filled in where it says nothing, and
    the duration the model will actually bill."""
    width, height = _size(entry, req)
    asked = req.duration if req.duration is not None else entry.default_duration
    duration = billed_duration(entry, asked)
    quality = req.extra.get("quality")
    return PriceInputs(
        count=req.count,
        width=width,
        height=height,
        seconds=seconds_decimal(duration) if duration is not None else None,
        resolution=req.resolution or entry.default_resolution,
        audio=req.audio if req.audio is not None else entry.default_audio,
        quality=str(quality) if quality is not None else None,
        input_tokens=_tokens(req, "input_tokens"),
        output_tokens=_tokens(req, "output_tokens"),
        characters=len(req.prompt) if req.task is Task.SPEECH else None,
    )


def _size(entry: ModelEntry, req: GenerationRequest) -> tuple[int, int]:
    if req.width is not None and req.height is not None:
        return req.width, req.height
    width, height = parse_size(entry.default_size) if entry.default_size else DEFAULT_SIZE
    if req.aspect is None:
        return width, height
    # The same area in the asked-for shape, rounded down so it never bills an extra MP.
    a, b = (int(part) for part in req.aspect.split(":"))
    if a == 0 or b == 0:
        return width, height
    new_height = max(1, math.isqrt(width * height * b // a))
    return max(1, new_height * a // b), new_height


def _tokens(req: GenerationRequest, key: str) -> int | None:
    value = req.extra.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"extra {key} must be a whole number of tokens, got {value!r}")
    return value


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


@lru_cache(maxsize=8)
def _cached(override: str | None, mtime_ns: int, size: int) -> Catalog:
    """One catalog per user file version (path, mtime, size): edits are picked up."""
    data = builtin_data()
    return Catalog.from_files(
        builtin_model_files(),
        chains_file=data.joinpath(CHAINS_FILE_NAME),
        override=Path(override) if override is not None else None,
    )


@lru_cache(maxsize=8)
def _with_local(base: Catalog, local: LocalSettings, key: tuple[object, ...]) -> Catalog:
    """``base`` plus the local models on disk; ``key`` changes when a model folder does."""
    return base.with_models(local_entries(local, (m.id for m in base.models())))


def clear_cache() -> None:
    """Forget loaded catalogs (tests; a long-lived process after editing package data)."""
    _cached.cache_clear()
    _with_local.cache_clear()


__all__ = [
    "Catalog",
    "billed_duration",
    "clear_cache",
    "price_inputs",
]
