"""The LLM planner's words: the prompt that asks a chat model for a plan, and the check
that turns its answer into explicit beats or says exactly what is wrong with it.

The answer must be one JSON object ``{"beats": [{"title", "setting", "shots": [...]}]}``
whose shots carry seed 000/002's fields (action, characters, setting, camera, image
prompt, motion, duration, video role). It is validated against the story schema itself
(``StoryDef``): unknown characters, empty actions, durations out of range and the asked-for
shape (``plan.beats`` x ``plan.key_actions``) are all errors that the repair round sends
back to the model. Only plan fields are taken from the answer: a model cannot pick the
(paid) models a shot is rendered on.

Nothing here does I/O; ``story.planning`` runs the chat jobs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from .schema import StoryDef

PLAN_MARKER = "storyreel-plan-v1"
"""First line of every planning prompt (the simulators answer such a prompt with a plan)."""

INPUT_START = "INPUT:"
INPUT_END = "END INPUT"

SYSTEM = (
    "You are a storyboard artist planning shots for an animated story. Answer with one "
    "JSON object and nothing else: no prose, no code fences."
)

_BEAT_FIELDS = ("title", "setting", "shots")
_SHOT_FIELDS = (
    "action",
    "characters",
    "setting",
    "camera",
    "motion",
    "image_prompt",
    "duration",
    "video_role",
)
MAX_ANSWER_ECHO = 4_000


class PlanInvalid(ValueError):
    """The model's answer is not a usable plan; the message says why, in one line."""


def _shape_rule(story: StoryDef) -> str:
    beats, actions = story.plan.beats, story.plan.key_actions
    parts = []
    if beats is not None:
        parts.append(f"exactly {beats} beats")
    if actions is not None:
        parts.append(f"exactly {actions} shots (key actions) in every beat")
    return ("Make " + " and ".join(parts) + ".") if parts else "Choose the number of beats."


def plan_prompt(story: StoryDef) -> str:
    """The planning request: instructions, the JSON shape, and the story as JSON input."""
    given = {
        "title": story.title,
        "style": story.style,
        "characters": [{"name": c.name, "description": c.description} for c in story.characters],
        "story": story.story,
        "beats": story.plan.beats,
        "key_actions": story.plan.key_actions,
        "default_duration": story.render.duration,
    }
    return "\n".join(
        [
            PLAN_MARKER,
            "Split the story below into beats (scenes) and each beat into key actions "
            "(shots), in story order. " + _shape_rule(story),
            'Answer with JSON: {"beats": [{"title": str, "setting": str, "shots": '
            '[{"action": str, "characters": [str], "setting": str, "camera": str, '
            '"image_prompt": str, "motion": str, "duration": number, "video_role": '
            '"action" | "motion" | "cinematic"}]}]}.',
            "action: what happens, one sentence. characters: names from the input's "
            "characters only, those visible in the shot. camera: framing (wide "
            "establishing shot, medium shot, close-up on NAME). image_prompt: what the "
            "still frame shows. motion: the camera or subject movement of the clip (slow "
            "push in, pan left, ...). duration: seconds, 1 to 30 (default "
            f"{story.render.duration:g}). video_role: action for fast movement, motion for "
            "people moving in place, cinematic for establishing or emotional moments.",
            INPUT_START,
            json.dumps(given, ensure_ascii=False, indent=1),
            INPUT_END,
        ]
    )


def repair_prompt(story: StoryDef, answer: str, problem: str) -> str:
    """The second and last request: the same task, the invalid answer and what is wrong."""
    return "\n".join(
        [
            plan_prompt(story),
            f"Your previous answer was not a valid plan: {problem}",
            "Previous answer:",
            answer[:MAX_ANSWER_ECHO],
            "Answer again with the corrected JSON object only.",
        ]
    )


def _json_object(answer: str) -> Any:
    text = answer.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise PlanInvalid("the answer holds no JSON object")
    try:
        return json.loads(text[start : end + 1])
    except json.JSONDecodeError as exc:
        raise PlanInvalid(f"the answer is not valid JSON: {exc.msg} at char {exc.pos}") from None


def _picked(item: Any, fields: tuple[str, ...], where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise PlanInvalid(f"{where} is not an object")
    return {key: item[key] for key in fields if key in item and item[key] is not None}


def _beats_of(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("beats"), list):
        raise PlanInvalid('the answer has no "beats" list')
    beats = []
    for number, raw in enumerate(data["beats"], 1):
        beat = _picked(raw, _BEAT_FIELDS, f"beat {number}")
        shots = beat.get("shots")
        if not isinstance(shots, list) or not shots:
            raise PlanInvalid(f'beat {number} has no "shots" list')
        beat["shots"] = [
            _picked(shot, _SHOT_FIELDS, f"beat {number} shot {index}")
            for index, shot in enumerate(shots, 1)
        ]
        beats.append(beat)
    return beats


def _check_shape(story: StoryDef, planned: StoryDef) -> None:
    want_beats, want_actions = story.plan.beats, story.plan.key_actions
    if want_beats is not None and len(planned.beats) != want_beats:
        raise PlanInvalid(f"asked for {want_beats} beats, got {len(planned.beats)}")
    if want_actions is not None:
        for number, beat in enumerate(planned.beats, 1):
            if len(beat.shots) != want_actions:
                raise PlanInvalid(
                    f"asked for {want_actions} shots in every beat, beat {number} has "
                    f"{len(beat.shots)}"
                )


def parse_plan(story: StoryDef, answer: str) -> StoryDef:
    """``story`` with the answer's beats, validated as a story file is; ``PlanInvalid``
    with a one-line reason otherwise."""
    beats = _beats_of(_json_object(answer))
    content = story.model_dump(mode="json") | {"beats": beats}
    try:
        planned = StoryDef.model_validate(content)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise PlanInvalid(f"{where}: {message}" if where else message) from None
    _check_shape(story, planned)
    return planned


__all__ = [
    "PLAN_MARKER",
    "SYSTEM",
    "PlanInvalid",
    "parse_plan",
    "plan_prompt",
    "repair_prompt",
]
