"""What the simulated chat endpoints answer: a storyboard plan when asked for one (the
story planner's prompt), otherwise a short scene description.

The plan is made the way a careful model would: one beat per paragraph (or exactly the
``beats`` asked for), one shot per sentence (or exactly ``key_actions``), the characters
named in each sentence, and every field of the plan filled. A test can queue verbatim
answers first (``chat_answers``), such as an invalid plan for the repair round.
"""

from __future__ import annotations

import json
import re
from typing import Any

from storyreel.story.llm_planner import INPUT_END, INPUT_START, PLAN_MARKER

from .base import Simulator

_ROLES = ("cinematic", "action", "motion")
_MOTIONS = ("slow push in", "pan left", "gentle push in", "pan right")


def _sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(paragraph.split())) if s.strip()]


def _given(prompt: str) -> dict[str, Any] | None:
    start = prompt.find(INPUT_START)
    end = prompt.find(INPUT_END, start)
    if start < 0 or end < 0:
        return None
    try:
        data = json.loads(prompt[start + len(INPUT_START) : end])
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def plan_answer(prompt: str) -> str:
    """A valid plan, as JSON text, for a planning prompt."""
    given = _given(prompt) or {}
    text = str(given.get("story") or "")
    paragraphs = [_sentences(p) for p in re.split(r"\n\s*\n", text) if p.strip()] or [["..."]]
    want_beats, want_actions = given.get("beats"), given.get("key_actions")
    if isinstance(want_beats, int):
        flat = [s for p in paragraphs for s in p]
        paragraphs = [flat[i::want_beats] or flat for i in range(want_beats)]
    if isinstance(want_actions, int):
        paragraphs = [[p[i % len(p)] for i in range(want_actions)] for p in paragraphs]
    names = [str(c.get("name")) for c in given.get("characters") or [] if isinstance(c, dict)]
    duration = given.get("default_duration") or 3
    beats, number = [], 0
    for beat_no, sentences in enumerate(paragraphs, 1):
        shots = []
        for index, sentence in enumerate(sentences):
            cast = [n for n in names if re.search(rf"\b{re.escape(n)}\b", sentence, re.I)]
            shots.append(
                {
                    "action": sentence,
                    "characters": cast,
                    "setting": f"scene {beat_no}",
                    "camera": "wide establishing shot" if index == 0 else "medium shot",
                    "image_prompt": f"storyboard frame: {sentence}",
                    "motion": _MOTIONS[number % len(_MOTIONS)],
                    "duration": duration,
                    "video_role": _ROLES[number % len(_ROLES)],
                }
            )
            number += 1
        beats.append({"title": f"Beat {beat_no}", "setting": f"scene {beat_no}", "shots": shots})
    return json.dumps({"beats": beats})


def chat_answer(sim: Simulator, messages: list[dict[str, Any]]) -> str:
    """The assistant's answer to ``messages``: a queued one, a plan, or a scene."""
    if sim.chat_answers:
        return sim.chat_answers.popleft()
    question = str(messages[-1].get("content", ""))
    if question.startswith(PLAN_MARKER):
        return plan_answer(question)
    return (
        f"Here is a scene for you: {question.strip()[:400] or 'an empty stage'}. "
        "The light falls low and warm; the camera holds, then pushes in slowly."
    )
