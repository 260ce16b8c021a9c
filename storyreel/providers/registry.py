"""Provider discovery, the way simonw/llm finds model plugins.

A plugin is any module exposing ``register_providers(register)``; it is found through the
``storyreel.providers`` entry-point group. The built-in providers are registered the same
way (their entry points are declared in our own pyproject), and are also loaded by module
name so a source checkout without installed metadata still works.
``STORYREEL_LOAD_PLUGINS=sketch,motion`` (``Settings.load_plugins``) restricts which
providers load, built-ins included.

Loading also validates each loaded provider's options (``providers/options.py``) against
the settings, so a misspelt option stops the engine at start with a ConfigError.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from types import ModuleType

import structlog

from storyreel.config import Settings, load_settings
from storyreel.errors import InputError
from storyreel.providers.base import Provider
from storyreel.providers.options import options_model, parse_options

log = structlog.get_logger(__name__)

ENTRY_POINT_GROUP = "storyreel.providers"
BUILTIN_MODULES = {
    "modelslab": "storyreel.providers.modelslab",
    "aimlapi": "storyreel.providers.aimlapi",
    "sketch": "storyreel.providers.sketch.provider",
    "motion": "storyreel.providers.motion",
    "fal": "storyreel.providers.fal",
    "openai": "storyreel.providers.openai",
    "gemini": "storyreel.providers.gemini",
    "wavespeed": "storyreel.providers.wavespeed",
    "kie": "storyreel.providers.kie",
    "replicate": "storyreel.providers.replicate",
    "local": "storyreel.providers.diffusion.provider",
    "llm": "storyreel.providers.llm",
    "voice": "storyreel.providers.voice",
}
"""Built-in providers by entry-point name (the names ``load_plugins`` filters on)."""

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

    def check_options(self, settings: Settings) -> None:
        """Validate every loaded provider's options now, at start: a typo in an option
        name is a ConfigError naming the provider and the option."""
        for name, cls in self._classes.items():
            parse_options(name, options_model(cls), settings.provider(name).options)


def _allowed(name: str, allow: Iterable[str] | None) -> bool:
    return allow is None or name in allow


def load_registry(settings: Settings | None = None) -> ProviderRegistry:
    """Built-ins plus every installed plugin, those ``settings.load_plugins`` allows (a
    plugin that fails to import is logged and skipped so one broken package cannot take the
    service down); their options are validated."""
    cfg = settings if settings is not None else load_settings()
    allow = cfg.plugin_filter
    registry = ProviderRegistry()
    loaded: set[str] = set()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if not _allowed(ep.name, allow):
            continue
        try:
            registry.load_module(ep.load())
            loaded.add(ep.value)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the rest
            log.warning("provider plugin failed to load", plugin=ep.name, error=str(exc))
    for name, module_name in BUILTIN_MODULES.items():
        if module_name not in loaded and _allowed(name, allow):
            registry.load_module(importlib.import_module(module_name))
    registry.check_options(cfg)
    return registry
