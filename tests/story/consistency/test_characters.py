"""``story characters``: its pure part, the --out check, fails before anything is drawn."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storyreel.config import Settings
from storyreel.errors import InputError
from storyreel.story.consistency.characters import draw_characters


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.write_text("not a folder")
    story = tmp_path / "missing.yaml"  # never read: the --out check comes first
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(InputError, match="is a file; give a folder"):
        asyncio.run(draw_characters(settings, story, out))
    assert out.read_text() == "not a folder"
    assert not (tmp_path / "data").exists()
