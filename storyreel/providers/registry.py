"""Provider discovery, the way simonw/llm finds model plugins.

A plugin is any module exposing ``register_providers(register)``; it is found through the
``storyreel.providers`` entry-point group. The built-in providers are registered the same
way (their entry points are declared in our own pyproject), and are also loaded by module
name so a source checkout without installed metadata still works.
``STORYREEL_LOAD_PLUGINS=sketch,motion`` restricts which entry points load.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from types import ModuleType

import structlog

from storyreel.errors import InputError
from storyreel.providers.base import Provider

log = structlog.get_logger(__name__)

ENTRY_POINT_GROUP = "storyreel.providers"
BUILTIN_MODULES = (
    "storyreel.providers.modelslab",
    "storyreel.providers.aimlapi",
    "storyreel.providers.sketch.provider",
    "storyreel.providers.motion",
    "storyreel.providers.fal",
    "storyreel.providers.openai",
    "storyreel.providers.gemini",
    "storyreel.providers.wavespeed",
    "storyreel.providers.kie",
    "storyreel.providers.replicate",
)

Register = Callable[[type[Provider]], None]


class ProviderRegistry:
    """Provider classes by name."""

    def __init__(self) -> None:
        self._classes: dict[str, type[Provider]] = {}

    def register(self, cls: type[Provider]) -> None:
        existing = self._classes.get(cls.name)
        if existing is not None and existing is not cls:
            raise ValueError(f"two providers are named {cls.name!r}: {existing} and {cls}")
        self._classes[cls.name] = cls

    def load_module(self, module: ModuleType) -> None:
        hook = getattr(module, "register_providers", None)
        if hook is None:
            raise ValueError(f"{module.__name__} has no register_providers(register) hook")
        hook(self.register)

    def get(self, name: str) -> type[Provider]:
        try:
            return self._classes[name]
        except KeyError:
            known = ", ".join(sorted(self._classes)) or "none"
            raise InputError(f"unknown provider {name!r}; known providers: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._classes)


def _allowed(name: str, allow: Iterable[str] | None) -> bool:
    return allow is None or name in allow


def load_registry() -> ProviderRegistry:
    """Built-ins plus every installed plugin (a plugin that fails to import is logged and
    skipped so one broken package cannot take the service down)."""
    registry = ProviderRegistry()
    allow_env = os.environ.get("STORYREEL_LOAD_PLUGINS")
    allow = {n.strip() for n in allow_env.split(",") if n.strip()} if allow_env else None
    loaded: set[str] = set()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if not _allowed(ep.name, allow):
            continue
        try:
            registry.load_module(ep.load())
            loaded.add(ep.value)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the rest
            log.warning("provider plugin failed to load", plugin=ep.name, error=str(exc))
    for module_name in BUILTIN_MODULES:
        if module_name not in loaded:
            registry.load_module(importlib.import_module(module_name))
    return registry
