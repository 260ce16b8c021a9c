"""What a run would redo (``story/stale.py``): a story run just now redoes nothing, also
when its characters are drawn from character sheets (the panels are keyed with them)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
import yaml

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.engine.runtime import Runtime
from storyreel.store.db import migrate
from storyreel.story.loader import load_story
from storyreel.story.planner import plan_story
from storyreel.story.runner import run_story, story_references
from storyreel.story.stale import would_redo
from tests.api.routes.conftest import STORY

pytestmark = pytest.mark.slow


async def test_shots_drawn_with_sheets_are_current_after_the_run(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", poll_interval=0.05, queue_poll_interval=0.05)
    story_file = tmp_path / "story.yaml"
    story_file.write_text(yaml.safe_dump(STORY))  # Ines has no reference: a sheet is drawn
    loaded = load_story(story_file, max_image_bytes=10**7, max_image_pixels=10**8)
    catalog = Catalog.load(settings)
    shots = plan_story(loaded.story)
    refs = story_references(dataclasses.replace(loaded, story=loaded.story))
    await asyncio.to_thread(migrate, settings.app_database_url)
    rt = Runtime.build(settings)
    try:
        before = await would_redo(rt, catalog, loaded.story, shots, refs)
        assert (before.panels, before.clips, before.assembly) == ([1, 2], [1, 2], True)
        outcome = await run_story(settings, story_file, tmp_path / "out")
        assert [c["source"] for c in outcome["characters"]] == ["sheet"]
        after = await would_redo(rt, catalog, loaded.story, shots, refs)
        assert after.nothing, after
    finally:
        await rt.close()
