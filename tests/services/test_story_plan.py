"""The plan as the UI edits it (``services/story_plan.py``): a text story is written out
as beats on its first edit without changing any other shot; an edit the loader refuses
leaves the file as it was; after a run, editing one shot's action marks exactly that
shot's panel and clip stale, and the next run makes exactly those."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyreel.config import Settings
from storyreel.errors import InputError
from storyreel.services import stories
from storyreel.services.story_plan import edit_shot, plan_view
from storyreel.services.story_runs import run_progress
from storyreel.story.planner import plan_story
from tests.api.conftest import api_settings, running_api
from tests.api.routes.conftest import BASE, STORY, until_ended

TEXT_STORY = {
    "title": "Harbour",
    "characters": [{"name": "Mira", "description": "a woman in a green raincoat"}],
    "story": "At dusk a storm gathers over the harbour. Mira runs along the wall.\n\n"
    "Mira climbs the stairs. She smiles at the sea.",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_the_first_edit_writes_a_text_story_as_beats(settings: Settings) -> None:
    folder = stories.story_folder(
        settings, stories.create_story(settings, TEXT_STORY, name="s.json")
    )
    before = plan_story(stories.load(settings, folder).story)
    edit_shot(settings, folder, 3, "action", "Mira climbs the spiral stairs.")
    raw = json.loads(folder.story_file.read_text())
    assert [len(beat["shots"]) for beat in raw["beats"]] == [2, 2]
    after = plan_story(stories.load(settings, folder).story)
    assert after[2].action == "Mira climbs the spiral stairs."
    unchanged = [a for a, b in zip(before, after, strict=True) if a.number != 3]
    assert unchanged == [b for b in after if b.number != 3], "no other shot changed"


def test_a_refused_edit_leaves_the_file_and_says_why_in_one_line(settings: Settings) -> None:
    folder = stories.story_folder(settings, stories.create_story(settings, STORY, name="s.json"))
    before = folder.story_file.read_text()
    cases = [
        (1, "characters", "Nobody", "unknown character 'Nobody'"),
        (1, "duration", "soon", "not a number of seconds"),
        (1, "action", "  ", "action"),
        (9, "action", "x", "the story has shots 1-2"),
        (1, "image_model", "x", "not an editable column"),
    ]
    for number, field, value, said in cases:
        with pytest.raises(InputError, match=said) as caught:
            edit_shot(settings, folder, number, field, value)
        assert "\n" not in caught.value.message
        assert folder.story_file.read_text() == before


@pytest.mark.slow
async def test_one_edited_action_redoes_exactly_its_panel_and_clip(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (client, state):
        story_id = (await client.post(BASE, json=STORY)).json()["id"]
        folder = stories.story_folder(state.settings, story_id)
        fresh = await plan_view(state.settings, state.rt, state.catalog, folder)
        assert [r.redo for r in fresh.rows] == [["panel", "clip"]] * 2

        assert (await client.post(f"{BASE}/{story_id}/run")).status_code == 202
        first = await until_ended(client, story_id)
        assert first["made"] == {"panels": 2, "clips": 2}
        done = await plan_view(state.settings, state.rt, state.catalog, folder)
        assert [r.redo for r in done.rows] == [[], []] and done.assembly_redo is False

        edit_shot(state.settings, folder, 2, "action", "The kite climbs into the clouds")
        edited = await plan_view(state.settings, state.rt, state.catalog, folder)
        assert [r.redo for r in edited.rows] == [[], ["panel", "clip"]]
        assert edited.redo_counts == (1, 1) and edited.assembly_redo is True

        assert (await client.post(f"{BASE}/{story_id}/run")).status_code == 202
        second = await until_ended(client, story_id)
        assert second["run"]["state"] == "succeeded"
        assert second["made"] == {"panels": 1, "clips": 1}
        progress = await run_progress(state.settings, state.rt, story_id)
        assert progress["made"] == second["made"]
