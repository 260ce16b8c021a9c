"""A sheet is a text-to-image job built from the character's description, the story's
style and the project seed; only characters in a shot without a reference get one."""

from __future__ import annotations

from storyreel.story.consistency.sheets import (
    SHEET_CAMERA,
    sheet_characters,
    sheet_prompt,
    sheet_request,
)
from storyreel.story.loader import parse_story
from storyreel.story.prompts import NEGATIVE_PROMPT, project_seed
from storyreel.vocabulary import Task

STORY = """
title: Sheets
style: ink wash
seed: 42
{render}
characters:
  - {{name: Mira, description: a young woman with long red hair.}}
  - {{name: Tomas, description: an old keeper}}
  - {{name: Ghost}}
beats:
  - shots:
      - {{action: Mira and Tomas talk., characters: [mira, Tomas]}}
"""


def _story(render: str = ""):  # type: ignore[no-untyped-def]
    return parse_story(STORY.format(render=render))


def test_only_cast_characters_without_a_reference_get_a_sheet() -> None:
    story = _story()
    assert [c.name for c in sheet_characters(story, set())] == ["Mira", "Tomas"]
    assert [c.name for c in sheet_characters(story, {"Mira"})] == ["Tomas"]
    assert sheet_characters(_story("render: {sheets: 'off'}"), set()) == []


def test_sheet_request_carries_description_style_and_seed() -> None:
    story = _story()
    mira = story.characters[0]
    req = sheet_request(story, mira, model="sketch:previz")
    assert req.task is Task.TEXT_TO_IMAGE and req.model == "sketch:previz"
    assert req.prompt.startswith("Character sheet of Mira: a young woman with long red hair.")
    assert "Style: ink wash." in req.prompt and ".." not in req.prompt
    assert req.seed == project_seed(story) == 42
    assert req.negative_prompt == NEGATIVE_PROMPT
    assert (req.width, req.height, req.aspect) == (768, 1024, "3:4")
    assert req.shot is not None and req.shot.camera == SHEET_CAMERA["portrait"]
    assert [c.name for c in req.shot.characters] == ["Mira"]
    assert req == sheet_request(story, mira, model="sketch:previz")  # reused, never bought twice


def test_turnaround_sheet_is_wide_and_says_so() -> None:
    story = _story("render: {sheets: turnaround}")
    req = sheet_request(story, story.characters[1], model="sketch:previz")
    assert (req.width, req.height, req.aspect) == (1344, 768, "16:9")
    assert "front, side and back" in req.prompt
    assert "Character sheet of Ghost." in sheet_prompt(story, story.characters[2])
