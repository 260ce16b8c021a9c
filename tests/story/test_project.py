"""A stored story project: its key changes with anything that changes what is made but not
with the budget or the failover policy (raising a budget keeps the project and what it
spent), a character's own image wins over its drawn sheet, and the stored story plans
the same shots again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story
from storyreel.story.project import _story_key, character_references, planned_shots
from storyreel.vocabulary import RefRole

TEXT = """
title: Tiny
characters:
  - {name: Ada, description: yellow coat}
beats:
  - setting: park at noon
    shots:
      - {action: Ada reads., characters: [Ada]}
      - {action: Ada looks up., characters: [Ada]}
"""


def test_the_key_ignores_budget_and_failover_only() -> None:
    story = parse_story(TEXT)
    key = _story_key(story, [])
    richer = story.model_copy(update={"budget": 99})
    assert _story_key(richer, []) == key
    other = "off" if story.render.failover != "off" else "any"
    failover = story.render.model_copy(update={"failover": other})
    assert _story_key(story.model_copy(update={"render": failover}), []) == key
    assert _story_key(story.model_copy(update={"title": "Other"}), []) != key
    assert _story_key(story, ["ab" * 32]) != key


def test_the_users_image_wins_over_the_sheet() -> None:
    def character(name: str, **fields: Any) -> SimpleNamespace:
        blank = dict.fromkeys(("reference_asset", "reference_mime", "sheet_asset", "sheet_mime"))
        return SimpleNamespace(name=name, **(blank | fields))

    project = SimpleNamespace(
        characters=[
            character(
                "Ada",
                reference_asset="aa" * 32,
                reference_mime="image/png",
                sheet_asset="bb" * 32,
                sheet_mime="image/png",
            ),
            character("Bo", sheet_asset="cc" * 32, sheet_mime="image/jpeg"),
            character("Cy"),
        ]
    )
    refs = character_references(cast(Any, project))
    assert sorted(refs) == ["Ada", "Bo"]
    assert [(r.asset, r.role, r.name) for r in refs["Ada"]] == [
        ("aa" * 32, RefRole.CHARACTER, "Ada")
    ]
    assert [(r.asset, r.mime) for r in refs["Bo"]] == [("cc" * 32, "image/jpeg")]


def test_the_stored_story_plans_the_same_shots() -> None:
    story = parse_story(TEXT)
    project = SimpleNamespace(story=story.model_dump(mode="json"))
    shots = planned_shots(cast(Any, project))
    assert list(shots) == [1, 2]
    assert list(shots.values()) == plan_story(story)
