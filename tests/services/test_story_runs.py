"""Background story runs (``services/story_runs.py``): a run cut off by the server's
shutdown is recorded ``interrupted``; progress by a story id that never ran is 404."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from storyreel.errors import NotFound
from storyreel.services import stories
from storyreel.services.story_runs import run_progress
from tests.api.conftest import api_settings, running_api
from tests.api.routes.conftest import BASE, STORY


async def test_a_run_cut_off_by_shutdown_is_recorded_interrupted(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (client, state):
        story_id = (await client.post(BASE, json=STORY)).json()["id"]
        assert (await client.post(f"{BASE}/{story_id}/run")).status_code == 202
        await asyncio.sleep(0.2)
    run = json.loads((state.settings.data_dir / "stories" / story_id / "run.json").read_text())
    assert run["state"] == "interrupted", run


async def test_progress_of_a_story_never_run_is_not_found(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (_client, state):
        story_id = stories.create_story(state.settings, STORY, name="s.json")
        with pytest.raises(NotFound, match="has not been run yet"):
            await run_progress(state.settings, state.rt, story_id)
        with pytest.raises(NotFound, match="no story"):
            await run_progress(state.settings, state.rt, "f" * 32)
