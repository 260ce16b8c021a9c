from __future__ import annotations

import types

import pytest

from storyreel.errors import InputError
from storyreel.providers.registry import ProviderRegistry, load_registry
from storyreel.providers.sketch.provider import SketchProvider
from storyreel.testing.scripted import ScriptedProvider


def test_builtins_are_registered_like_plugins() -> None:
    registry = load_registry()
    assert {"sketch", "motion"} <= set(registry.names())
    assert registry.get("sketch") is SketchProvider


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"known providers: .*sketch"):
        load_registry().get("nope")


def test_plugin_module_hook_and_name_clash() -> None:
    registry = ProviderRegistry()
    plugin = types.ModuleType("plugin")
    plugin.register_providers = lambda register: register(ScriptedProvider)  # type: ignore[attr-defined]
    registry.load_module(plugin)
    assert registry.get("scripted") is ScriptedProvider

    class Impostor(ScriptedProvider):
        pass

    with pytest.raises(ValueError, match="two providers"):
        registry.register(Impostor)
    with pytest.raises(ValueError, match="register_providers"):
        registry.load_module(types.ModuleType("empty"))
