"""Background story runs (``services/story_runs.py``): a run cut off by the server's
shutdown is recorded ``interrupted``; progress by a story id that never ran is 404."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from storyreel.errors import InputError, NotFound
from storyreel.services import stories
from storyreel.services.story_runs import finalize_options, remembered_options, run_progress
from storyreel.story.runner import RunOptions
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


async def test_finalized_shots_are_remembered_and_add_up(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (_client, state):
        plain = stories.story_folder(
            state.settings, stories.create_story(state.settings, STORY, name="s.json")
        )
        with pytest.raises(InputError, match="draft_model"):
            finalize_options(state.settings, plain, {1})
        raw = STORY | {"render": STORY["render"] | {"draft_model": "sketch:previz"}}
        folder = stories.story_folder(
            state.settings, stories.create_story(state.settings, raw, name="d.json")
        )
        assert remembered_options(folder) == RunOptions()
        with pytest.raises(InputError, match="choose the shots"):
            finalize_options(state.settings, folder, set())
        with pytest.raises(InputError, match="shot\\(s\\) 3"):
            finalize_options(state.settings, folder, {3})
        assert finalize_options(state.settings, folder, {2}).shots == frozenset({2})
        stories.write_run(folder, finalized=[2])
        assert remembered_options(folder) == RunOptions(finalize=True, shots=frozenset({2}))
        both = finalize_options(state.settings, folder, {1})
        assert both == RunOptions(finalize=True, shots=frozenset({1, 2})), "never back to draft"
