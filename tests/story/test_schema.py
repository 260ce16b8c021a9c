"""The story file's own rules, each one message a writer can act on: an unquoted aspect,
an unknown aspect, no story at all, repeated or unknown character names, a last shot that
ends on a next one, narration given twice, half a size or an odd one; the size follows
the aspect unless both sides are given."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from storyreel.story.schema import StoryDef


def story(text: str = "", **fields: Any) -> StoryDef:
    base: dict[str, Any] = {
        "title": "T",
        "characters": [{"name": "Ada", "description": "yellow coat"}],
        "beats": [{"setting": "park", "shots": [{"action": "Ada reads.", "characters": ["Ada"]}]}],
    }
    raw = base | (yaml.safe_load(text) if text else {}) | fields
    return StoryDef.model_validate(raw)


def test_a_good_story_and_its_size() -> None:
    assert story().size == (1024, 576)
    assert story(aspect="9:16").size == (576, 1024)
    assert story(render={"width": 640, "height": 360}).size == (640, 360)


@pytest.mark.parametrize(
    ("text", "fields", "message"),
    [
        ("aspect: 16:9", {}, 'write the aspect in quotes, e.g. aspect: "16:9"'),
        ("aspect: '5:3'", {}, "aspect must be one of 16:9"),
        ("", {"beats": [], "story": "  "}, "a story needs 'story' text or explicit 'beats'"),
        (
            "",
            {
                "characters": [
                    {"name": "Ada", "description": "a"},
                    {"name": "ADA", "description": "b"},
                ]
            },
            "character names must be unique; repeated: ada",
        ),
        (
            "",
            {"beats": [{"setting": "s", "shots": [{"action": "x", "characters": ["Bob"]}]}]},
            "shot 1 (beat 1) names unknown character 'Bob'; characters are: Ada",
        ),
        (
            "",
            {"beats": [{"setting": "s", "shots": [{"action": "x", "end_on_next": True}]}]},
            "shot 1 is the last: it has no next panel to end on",
        ),
        (
            "",
            {
                "beats": [
                    {"setting": "s", "narration": "N", "shots": [{"action": "x", "narration": "M"}]}
                ]
            },
            "give narration for the beat or for its shots, not both",
        ),
        ("", {"render": {"width": 640}}, "give both width and height, or neither"),
        (
            "",
            {"render": {"width": 641, "height": 360}},
            "video sizes must be even numbers, got 641",
        ),
        ("", {"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_each_rule_is_one_clear_message(text: str, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        story(text, **fields)
    assert message in str(caught.value)
