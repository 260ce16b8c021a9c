from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.config import Settings, load_settings
from storyreel.errors import ConfigError


def test_defaults_are_embedded_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    assert settings.app_database_url == f"sqlite+aiosqlite:///{tmp_path / 'd' / 'storyreel.db'}"
    assert settings.system_database_url == f"sqlite:///{tmp_path / 'd' / 'dbos.db'}"
    assert not settings.is_postgres


def test_one_postgres_url_moves_app_and_engine(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql://u:p@db:5432/story")
    assert settings.app_database_url == "postgresql+psycopg://u:p@db:5432/story"
    assert settings.system_database_url == "postgresql+psycopg://u:p@db:5432/story"


def test_provider_settings_from_nested_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYREEL_PROVIDERS__FAL__API_KEY", "secret-key")
    monkeypatch.setenv("STORYREEL_PROVIDERS__FAL__CONCURRENCY", "7")
    settings = Settings()
    assert settings.provider("fal").concurrency == 7
    assert settings.require_key("fal") == "secret-key"
    assert "secret-key" not in repr(settings)


def test_missing_key_names_the_variable_to_set() -> None:
    with pytest.raises(ConfigError, match="STORYREEL_PROVIDERS__REPLICATE__API_KEY"):
        Settings().require_key("replicate")


def test_bad_settings_become_one_config_error() -> None:
    with pytest.raises(ConfigError, match="database_url"):
        load_settings(database_url="mysql://x")
