"""Reading the catalog files before validation: where the user's file is, how a user entry
merges into a built-in one field by field, and one-line errors naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.catalog.files import RawCatalog, builtin_model_files, user_catalog_path
from storyreel.config import Settings
from storyreel.errors import ConfigError


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_user_file_location(tmp_path: Path) -> None:
    assert user_catalog_path(Settings(data_dir=tmp_path)) is None
    in_data_dir = _write(tmp_path / "catalog.toml", "")
    assert user_catalog_path(Settings(data_dir=tmp_path)) == in_data_dir
    named = _write(tmp_path / "mine.toml", "")
    assert user_catalog_path(Settings(data_dir=tmp_path, catalog_file=named)) == named
    with pytest.raises(ConfigError, match=r"STORYREEL_CATALOG_FILE=.*no such file"):
        user_catalog_path(Settings(data_dir=tmp_path, catalog_file=tmp_path / "gone.toml"))


def test_a_user_entry_replaces_only_the_fields_it_names(tmp_path: Path) -> None:
    raw = RawCatalog()
    for source in builtin_model_files():
        raw.add_file(source)
    model_id = next(iter(raw.models))
    before = dict(raw.models[model_id])
    user = _write(
        tmp_path / "catalog.toml",
        f'[[models]]\nid = "{model_id}"\nprice_source = "mine"\n[chains]\ntext-to-image = ["x"]\n',
    )
    raw.apply_user(user)
    assert raw.models[model_id] == before | {"price_source": "mine"}
    assert raw.origin[model_id] == "catalog.toml"
    assert raw.chains["text-to-image"] == ["x"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not = [toml", "not valid TOML"),
        ("[surprise]\n", "unknown top-level key 'surprise'"),
        ("models = 3\n", "must be an array of tables"),
        ("[[models]]\ntitle = 'no id'\n", "needs an id"),
        ('[[models]]\nid = "kling"\n', "override models by full id"),
        ('[[models]]\nid = "a:b"\n[[models]]\nid = "a:b"\n', "listed twice"),
        ("[chains]\nx = 'not a list'\n", "maps names to lists"),
    ],
)
def test_bad_user_files_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        RawCatalog().apply_user(_write(tmp_path / "user.toml", text))
    assert str(caught.value).startswith("user.toml: ")


def test_an_incomplete_new_entry_is_refused_with_its_origin(tmp_path: Path) -> None:
    raw = RawCatalog()
    raw.apply_user(_write(tmp_path / "user.toml", '[[models]]\nid = "fal:new"\n'))
    with pytest.raises(ConfigError, match=r"user\.toml: model fal:new: "):
        raw.entries()
