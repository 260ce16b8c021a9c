"""Reading the catalog's files: the built-in TOML files (one per provider in
``storyreel/catalog/data``, plus ``chains.toml``) and the user's file
(``$STORYREEL_CATALOG_FILE``, else ``<data_dir>/catalog.toml``), merged into raw tables
before validation, each error naming the file it came from.

A user file may replace any field of any entry by id (a new price after a provider changes
theirs), add models, and replace failover chains. It looks like this (every key
optional)::

    [[models]]                      # a known id: only the fields given are replaced
    id = "fal:fal-ai/flux-2-pro/edit"
    price = { kind = "per_megapixel", first_mp_usd = "0.025", extra_mp_usd = "0.0125" }
    price_source = "fal pricing page, 2026-12-01"

    [[models]]                      # a new id: a complete entry (see schema.ModelEntry)
    id = "fal:fal-ai/some-new-model"
    title = "Some new model"
    tasks = ["image-to-video"]
    default_duration = 5
    price = { kind = "per_second", by_resolution = { "*" = "0.05" } }
    price_source = "fal model page, 2026-12-01"

    [chains]                        # replaces the built-in chain of that task
    image-to-video = ["kling", "replicate:google/veo-3.1-fast"]

    [fallbacks]                     # a model's own failover list
    "veo31-fast" = ["replicate:google/veo-3.1-fast"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from storyreel.config import Settings, load_settings
from storyreel.errors import ConfigError

from .schema import ModelEntry

CATALOG_FILE_ENV = "STORYREEL_CATALOG_FILE"
USER_FILE_NAME = "catalog.toml"
CHAINS_FILE_NAME = "chains.toml"

_MODEL_FILE_KEYS = {"provider", "models"}
_CHAIN_FILE_KEYS = {"chains", "fallbacks"}
_USER_FILE_KEYS = {"models", "chains", "fallbacks"}

Source = Path | Traversable


def builtin_data() -> Traversable:
    """The folder of built-in catalog files inside the installed package."""
    return files("storyreel.catalog").joinpath("data")


def builtin_model_files() -> list[Traversable]:
    data = builtin_data()
    return sorted(
        (f for f in data.iterdir() if f.name.endswith(".toml") and f.name != CHAINS_FILE_NAME),
        key=lambda f: f.name,
    )


def user_catalog_path(settings: Settings | None = None) -> Path | None:
    """The user's catalog file: ``$STORYREEL_CATALOG_FILE`` (which must exist), else
    ``<data_dir>/catalog.toml`` if there is one. Never creates the data dir."""
    cfg = settings if settings is not None else load_settings()
    named = cfg.catalog_file
    if named is not None:
        path = named.expanduser()
        if not path.is_file():
            raise ConfigError(f"{CATALOG_FILE_ENV}={named}: no such file")
        return path
    path = cfg.data_dir.expanduser() / USER_FILE_NAME
    return path if path.is_file() else None


def _read_toml(source: Source, allowed: set[str]) -> dict[str, Any]:
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source.name}: not valid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source.name}: cannot read it: {exc}") from exc
    unknown = sorted(set(data) - allowed)
    if unknown:
        allowed_keys = ", ".join(sorted(allowed))
        raise ConfigError(
            f"{source.name}: unknown top-level key {unknown[0]!r}; allowed: {allowed_keys}"
        )
    return data


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _model_tables(data: dict[str, Any], source: Source) -> list[dict[str, Any]]:
    tables = data.get("models", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{source.name}: 'models' must be an array of tables ([[models]])")
    for table in tables:
        if not isinstance(table.get("id"), str):
            raise ConfigError(f"{source.name}: every [[models]] entry needs an id")
    return tables


def _string_lists(data: dict[str, Any], key: str, source: Source) -> dict[str, list[str]]:
    table = data.get(key, {})
    if not isinstance(table, dict) or not all(
        isinstance(v, list) and all(isinstance(s, str) for s in v) for v in table.values()
    ):
        raise ConfigError(f"{source.name}: [{key}] maps names to lists of model names")
    return {str(k): list(v) for k, v in table.items()}


@dataclass
class RawCatalog:
    """Catalog data before validation: entries by id, with the file each came from."""

    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    chains: dict[str, list[str]] = field(default_factory=dict)
    fallbacks: dict[str, list[str]] = field(default_factory=dict)

    def add_file(self, source: Source) -> None:
        data = _read_toml(source, _MODEL_FILE_KEYS)
        provider = data.get("provider")
        for table in _model_tables(data, source):
            model_id = table["id"]
            if provider is not None and not model_id.startswith(f"{provider}:"):
                raise ConfigError(f"{source.name}: {model_id} is not a {provider}: model")
            if model_id in self.models:
                raise ConfigError(
                    f"{source.name}: model {model_id} is also defined in {self.origin[model_id]}"
                )
            self.models[model_id] = dict(table)
            self.origin[model_id] = source.name

    def add_chains(self, source: Source) -> None:
        data = _read_toml(source, _CHAIN_FILE_KEYS)
        self.chains |= _string_lists(data, "chains", source)
        self.fallbacks |= _string_lists(data, "fallbacks", source)

    def apply_user(self, source: Source) -> None:
        """A user entry with a known id replaces just the fields it names; a new id must be
        a complete entry. User chains replace built-in chains of the same name."""
        data = _read_toml(source, _USER_FILE_KEYS)
        seen: set[str] = set()
        for table in _model_tables(data, source):
            model_id = table["id"]
            if model_id in seen:
                raise ConfigError(f"{source.name}: model {model_id} is listed twice")
            seen.add(model_id)
            if model_id not in self.models and ":" not in model_id:
                raise ConfigError(
                    f"{source.name}: override models by full id (provider:model), "
                    f"not {model_id!r}; 'storyreel models' shows the ids"
                )
            self.models[model_id] = {**self.models.get(model_id, {}), **table}
            self.origin[model_id] = source.name
        self.chains |= _string_lists(data, "chains", source)
        self.fallbacks |= _string_lists(data, "fallbacks", source)

    def entries(self) -> list[ModelEntry]:
        entries = []
        for model_id, raw in self.models.items():
            try:
                entries.append(ModelEntry.model_validate(raw))
            except ValidationError as exc:
                origin = self.origin[model_id]
                raise ConfigError(f"{origin}: model {model_id}: {_describe(exc)}") from exc
        return entries
