"""Stored stories on disk (``services/stories.py``): ids checked before any path is
built, a refused story leaves nothing behind, a reference that the loader refuses puts
the story file back, and output paths never leave ``out/``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from storyreel.config import Settings
from storyreel.errors import InputError, NotFound
from storyreel.services import stories
from tests.api.routes.conftest import STORY


def _png(size: tuple[int, int] = (32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_ids_are_checked_before_any_path_is_built(settings: Settings) -> None:
    for bad in ("../../etc", "/etc/passwd", "A" * 32, "0" * 31, "0" * 32 + "/..", ""):
        with pytest.raises(NotFound):
            stories.story_folder(settings, bad)
    story_id = stories.create_story(settings, STORY, name="s.json")
    assert stories.is_story_id(story_id)
    assert stories.story_folder(settings, story_id).path.parent == stories.stories_root(settings)


def test_a_refused_story_leaves_nothing(settings: Settings) -> None:
    music = STORY | {"sound": {"music": "bed.mp3"}}  # passes the schema, fails the loader
    with pytest.raises(InputError, match=r"music file bed\.mp3 not found"):
        stories.create_story(settings, music, name="s.json")
    assert list(stories.stories_root(settings).iterdir()) == []


def test_a_reference_the_loader_refuses_puts_the_story_back(settings: Settings) -> None:
    folder = stories.story_folder(settings, stories.create_story(settings, STORY, name="s.json"))
    before = folder.story_file.read_text()
    with pytest.raises(NotFound, match="no character"):
        stories.set_reference(settings, folder, "Bo", _png(), "image/png")
    tiny = settings.model_copy(update={"max_image_pixels": 16})
    with pytest.raises(InputError):
        stories.set_reference(tiny, folder, "Ines", _png(), "image/png")
    assert folder.story_file.read_text() == before
    assert stories.set_reference(settings, folder, "Ines", _png(), "image/png") == "refs/00.png"
    assert json.loads(folder.story_file.read_text())["characters"][0]["references"] == [
        "refs/00.png"
    ]
    assert stories.describe(settings, folder)["characters"][0]["reference"] == "refs/00.png"


def test_output_paths_stay_inside_out(settings: Settings, tmp_path: Path) -> None:
    folder = stories.story_folder(settings, stories.create_story(settings, STORY, name="s.json"))
    (folder.out_dir / "panels").mkdir(parents=True)
    (folder.out_dir / "panels" / "a.png").write_bytes(b"x")
    (tmp_path / "secret").write_text("s")
    (folder.out_dir / "link").symlink_to(tmp_path / "secret")
    assert stories.output_file(folder, "panels/a.png").read_bytes() == b"x"
    for bad in ("../story.json", "/etc/passwd", "link", "panels", "a\x00b", "panels/../../run"):
        with pytest.raises(NotFound):
            stories.output_file(folder, bad)
    with pytest.raises(NotFound, match="no outputs yet"):
        stories.outputs(folder)
