from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.config import Settings, find_project_dir, load_settings
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


def test_missing_key_names_the_variable_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="STORYREEL_PROVIDERS__REPLICATE__API_KEY"):
        Settings().require_key("replicate")
    monkeypatch.setenv("STORYREEL_PROVIDERS__KIE__API_KEY", "")
    with pytest.raises(ConfigError, match="STORYREEL_PROVIDERS__KIE__API_KEY"):
        Settings().require_key("kie")


def test_bad_settings_become_one_config_error() -> None:
    with pytest.raises(ConfigError, match="database_url"):
        load_settings(database_url="mysql://x")


def test_data_dir_is_the_env_then_a_project_folder_then_the_user_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # conftest: the cwd is tmp_path, XDG_DATA_HOME is tmp_path / "xdg-data"
    assert find_project_dir() is None
    settings = Settings()
    assert settings.data_dir == tmp_path / "xdg-data" / "storyreel"
    assert settings.data_dir_origin == "user"

    (tmp_path / ".storyreel").mkdir()
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    settings = Settings()
    assert (settings.data_dir, settings.data_dir_origin) == (tmp_path / ".storyreel", "project")
    (tmp_path / "a" / ".storyreel").write_text("a file, not a folder: not a data dir")
    assert Settings().data_dir == tmp_path / ".storyreel"

    monkeypatch.setenv("STORYREEL_DATA_DIR", str(tmp_path / "chosen"))
    settings = Settings()
    assert (settings.data_dir, settings.data_dir_origin) == (
        tmp_path / "chosen",
        "STORYREEL_DATA_DIR",
    )


def test_catalog_file_and_plugins_come_from_the_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "STORYREEL_CATALOG_FILE=mine.toml\nSTORYREEL_LOAD_PLUGINS=sketch, motion\n"
    )
    settings = Settings()
    assert settings.catalog_file == Path("mine.toml")
    assert settings.plugin_filter == frozenset({"sketch", "motion"})
    assert Settings(load_plugins="").plugin_filter is None
