from __future__ import annotations

import types
from pathlib import Path

import pytest

from storyreel.config import Settings
from storyreel.errors import ConfigError, InputError
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


def test_load_plugins_filters_built_ins_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYREEL_LOAD_PLUGINS", "sketch,motion")
    assert load_registry().names() == ["motion", "sketch"]
    assert load_registry(Settings(load_plugins="fal")).names() == ["fal"]


def test_load_plugins_is_read_from_the_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("STORYREEL_LOAD_PLUGINS=sketch\n")  # conftest: cwd is tmp
    assert load_registry().names() == ["sketch"]


def test_loading_validates_every_providers_options() -> None:
    typo = Settings(providers={"kie": {"options": {"upload_ulr": "http://x"}}})
    with pytest.raises(ConfigError, match=r"provider 'kie' has no option 'upload_ulr'"):
        load_registry(typo)
    no_options = Settings(providers={"sketch": {"options": {"speed": "2"}}})
    with pytest.raises(ConfigError, match=r"provider 'sketch' has no option 'speed'.*none"):
        load_registry(no_options)
    filtered = Settings(load_plugins="sketch", providers={"kie": {"options": {"x": "1"}}})
    assert load_registry(filtered).names() == ["sketch"]  # kie not loaded: not checked
