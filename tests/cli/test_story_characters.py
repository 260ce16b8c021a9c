"""``storyreel story characters``: the sheets alone, before any panel; a later run reuses
them instead of drawing them again."""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path

import pytest

from tests.e2e.helpers import cli_env, query, storyreel

EXAMPLE = files("storyreel.examples")


@pytest.mark.slow
def test_characters_draws_only_the_sheets_and_a_run_reuses_them(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(EXAMPLE.joinpath("kite_festival.yaml").read_text())
    (tmp_path / "ines.png").write_bytes(EXAMPLE.joinpath("ines.png").read_bytes())
    env = cli_env(tmp_path / "data")
    shown = storyreel("story", "characters", "story.yaml", "--out", "chars", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "Ines: reference" in shown.stdout and "Bo: sheet" in shown.stdout
    ines = (tmp_path / "chars" / "01-ines.png").read_bytes()
    assert ines == (tmp_path / "ines.png").read_bytes()
    assert (tmp_path / "chars" / "02-bo.png").is_file()
    assert query(tmp_path / "data", "SELECT count(*) FROM jobs") == [(1,)], "only Bo's sheet"

    ran = storyreel("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    sheets = query(
        tmp_path / "data", "SELECT count(*) FROM jobs WHERE request LIKE '%Character sheet of%'"
    )
    assert sheets == [(1,)], "the run drew Bo's sheet again"
    bo = hashlib.sha256((tmp_path / "chars" / "02-bo.png").read_bytes()).hexdigest()
    assert query(tmp_path / "data", "SELECT sheet_asset FROM characters WHERE name = 'Bo'") == [
        (bo,)
    ]
