"""The LLM planner's answer check: a valid plan becomes explicit beats; every way an
answer can be wrong is one line the repair round can send back."""

from __future__ import annotations

import json

import pytest

from storyreel.story.llm_planner import PLAN_MARKER, PlanInvalid, parse_plan, plan_prompt
from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story
from storyreel.testing.simulators.chat import plan_answer

STORY = parse_story(
    """
title: Harbour
characters:
  - {name: Mira, description: a young woman with long red hair}
  - {name: Oren, description: an old sailor}
story: |
  Mira runs along the harbour wall. Oren waves from the boat.

  The storm breaks. Mira climbs the lighthouse stairs.
plan: {planner: gpt-4o, beats: 2, key_actions: 2}
"""
)


def shot(**fields: object) -> dict[str, object]:
    return {"action": "Mira looks out to sea", "characters": ["Mira"]} | fields


def answer(beats: list[list[dict[str, object]]]) -> str:
    return json.dumps({"beats": [{"title": "b", "shots": shots} for shots in beats]})


def test_a_valid_answer_becomes_explicit_beats_with_every_shot_field() -> None:
    text = answer(
        [
            [shot(camera="wide shot", video_role="cinematic", image_prompt="sea"), shot()],
            [shot(duration=4, motion="pan left", video_role="action"), shot()],
        ]
    )
    planned = parse_plan(STORY, text)
    shots = plan_story(planned)
    assert len(planned.beats) == 2 and len(shots) == 4
    assert shots[0].video_role == "cinematic" and shots[0].image_prompt == "sea"
    assert shots[2].duration == 4 and shots[2].motion == "pan left"
    assert planned.characters == STORY.characters and planned.title == STORY.title


def test_code_fences_and_unknown_keys_are_tolerated_but_models_are_never_taken() -> None:
    text = answer([[shot(image_model="fal:expensive", note="x"), shot()], [shot(), shot()]])
    planned = parse_plan(STORY, f"```json\n{text}\n```")
    assert planned.beats[0].shots[0].image_model is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("I cannot plan this story.", "no JSON object"),
        ("{beats: [}", "not valid JSON"),
        (json.dumps({"shots": []}), 'no "beats" list'),
        (answer([[shot(characters=["Zed"]), shot()], [shot(), shot()]]), "unknown character"),
        (answer([[shot(action=""), shot()], [shot(), shot()]]), "action"),
        (answer([[shot(duration=99), shot()], [shot(), shot()]]), "duration"),
        (answer([[shot(video_role="epic"), shot()], [shot(), shot()]]), "video_role"),
        (answer([[shot(), shot()]]), "asked for 2 beats, got 1"),
        (answer([[shot(), shot()], [shot()]]), "beat 2 has 1"),
        (json.dumps({"beats": [{"title": "b"}]}), 'beat 1 has no "shots"'),
    ],
)
def test_an_invalid_answer_says_what_is_wrong_in_one_line(text: str, problem: str) -> None:
    with pytest.raises(PlanInvalid) as caught:
        parse_plan(STORY, text)
    assert problem in str(caught.value) and "\n" not in str(caught.value)


def test_the_prompt_carries_the_shape_and_the_simulated_model_follows_it() -> None:
    prompt = plan_prompt(STORY)
    assert prompt.startswith(PLAN_MARKER)
    assert "exactly 2 beats" in prompt and "exactly 2 shots" in prompt
    planned = parse_plan(STORY, plan_answer(prompt))
    assert [len(b.shots) for b in planned.beats] == [2, 2]
    assert {"Mira", "Oren"} <= {n for b in planned.beats for s in b.shots for n in s.characters}
