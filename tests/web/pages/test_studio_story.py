"""The story page's routes (``web/pages/studio_story.py``) without a browser: hostile
names escaped, a plan cell saved to the story file that marks exactly its shot stale and
asks the storyboard to refresh, a reference upload, refused budgets and cells in words."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.api.routes.conftest import BASE, STORY, until_ended

from ..ui_client import csrf_from, ui_client

HOSTILE = '<img src=x onerror="alert(1)">'


async def _open(ui: httpx.AsyncClient, story: dict[str, object]) -> str:
    created = await ui.post(BASE, json=story)
    assert created.status_code == 201, created.text
    page = await ui.get("/ui/studio")
    ui.headers["x-csrf-token"] = csrf_from(page.text)
    ui.headers["hx-request"] = "true"
    story_id: str = created.json()["id"]
    return story_id


def _redo(html: str) -> dict[int, str]:
    found = re.findall(r'<tr id="plan-shot-(\d+)".*?data-redo="([^"]*)"', html, re.S)
    return {int(number): redo for number, redo in found}


async def test_hostile_names_are_escaped_on_the_story_page(tmp_path: Path) -> None:
    story = json.loads(json.dumps(STORY))
    story["title"] = HOSTILE
    story["characters"][0]["description"] = HOSTILE
    story["beats"][0]["shots"][0]["action"] = HOSTILE
    async with ui_client(tmp_path) as ui:
        story_id = await _open(ui, story)
        page = await ui.get(f"/ui/studio/{story_id}", headers={"hx-request": ""})
        assert page.status_code == 200
        assert HOSTILE not in page.text
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page.text


@pytest.mark.slow
async def test_editing_an_action_persists_and_marks_exactly_that_shot(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        story_id = await _open(ui, STORY)
        assert _redo((await ui.get(f"/ui/studio/{story_id}/plan")).text) == {
            1: "panel+clip",
            2: "panel+clip",
        }
        idle = await ui.get(f"/ui/studio/{story_id}/run")
        assert "Not run yet" in idle.text and "sse-connect" not in idle.text
        ran = await ui.post(f"/ui/studio/{story_id}/run", data={"budget": "0.50"})
        assert ran.status_code == 200 and "sse-connect" in ran.text
        following = await ui.get(f"/ui/studio/{story_id}/run")  # as after a board action
        assert 'sse-connect="/ui/studio/' in following.text
        await until_ended(ui, story_id)
        stream = await ui.get(f"/ui/studio/{story_id}/events")
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.text.index("event: progress") < stream.text.index("event: end")
        assert 'data-state="succeeded"' in stream.text and "story-video" in stream.text
        assert _redo((await ui.get(f"/ui/studio/{story_id}/plan")).text) == {1: "", 2: ""}

        edited = await ui.post(
            f"/ui/studio/{story_id}/plan/2/action", data={"value": "The kite tears loose"}
        )
        assert edited.status_code == 200
        assert edited.headers["hx-trigger"] == "storyboard-refresh"
        assert _redo(edited.text) == {1: "", 2: "panel+clip"}
        saved = json.loads((tmp_path / "data" / "stories" / story_id / "story.json").read_text())
        assert saved["beats"][0]["shots"][1]["action"] == "The kite tears loose"

        page = await ui.get(f"/ui/studio/{story_id}", headers={"hx-request": ""})
        assert '<video id="story-video"' in page.text and 'kind="captions"' in page.text
        assert "of <strong" in page.text and "$0.50" in page.text, "spent vs budget"


async def test_refused_input_is_one_clear_error(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        story_id = await _open(ui, STORY)
        bad_budget = await ui.post(f"/ui/studio/{story_id}/run", data={"budget": "lots"})
        assert bad_budget.status_code == 422
        assert bad_budget.json()["detail"] == "budget: 'lots' is not an amount in USD"
        bad_cell = await ui.post(f"/ui/studio/{story_id}/plan/1/characters", data={"value": "Bo"})
        assert bad_cell.status_code == 422 and "unknown character 'Bo'" in bad_cell.json()["detail"]
        unknown = await ui.get(f"/ui/studio/{'0' * 32}", headers={"hx-request": ""})
        assert unknown.status_code == 404


async def test_a_reference_upload_shows_on_the_character(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(buffer, format="PNG")
    async with ui_client(tmp_path) as ui:
        story_id = await _open(ui, STORY)
        sent = await ui.post(
            f"/ui/studio/{story_id}/characters/0/reference",
            files={"file": ("ines.png", buffer.getvalue(), "image/png")},
        )
        assert sent.status_code == 200, sent.text
        assert 'alt="Reference image of Ines"' in sent.text
        image = await ui.get(f"/ui/studio/{story_id}/characters/0/reference")
        assert image.status_code == 200 and image.content == buffer.getvalue()
        missing = await ui.post(
            f"/ui/studio/{story_id}/characters/5/reference",
            files={"file": ("ines.png", buffer.getvalue(), "image/png")},
        )
        assert missing.status_code == 404
