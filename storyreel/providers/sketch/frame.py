"""What one sketch frame shows: the input model of the renderer.

Everything a frame looks like is decided by a ``FrameSpec`` alone, which is what makes a
frame reproducible: the same spec gives the same pixels on every machine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from storyreel.providers.sketch.scenery import setting_words


@dataclass(frozen=True)
class CharacterSpec:
    name: str
    description: str = ""
    top: tuple[int, int, int] | None = None
    """The clothes' colour a reference image showed; wins over the description."""


class Framing(StrEnum):
    wide = "wide"
    medium = "medium"
    close_up = "close_up"


@dataclass(frozen=True)
class FrameSpec:
    width: int
    height: int
    setting: str = ""
    action: str = ""
    camera: str = ""
    characters: tuple[CharacterSpec, ...] = ()
    style: str = ""
    seed: int = 0
    shot_label: str = ""


def _words(*words: str) -> re.Pattern[str]:
    alternatives = "|".join(r"[\s-]*".join(map(re.escape, w.split())) for w in words)
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


# Checked in this order: "extreme close-up" must not read as a plain "close" or "wide".
_CAMERA_RULES: tuple[tuple[Framing, re.Pattern[str]], ...] = (
    (Framing.close_up, _words("close up", "closeup", "cu", "ecu", "extreme close", "portrait")),
    (Framing.medium, _words("medium", "mid", "waist", "over the shoulder", "ots", "two shot")),
    (Framing.wide, _words("wide", "establishing", "long", "aerial", "full", "ws", "ls")),
)


def framing_from_camera(camera: str, has_characters: bool = True) -> Framing:
    """Map free camera text to a framing; with no hint, frame people at medium, places wide."""
    for framing, pattern in _CAMERA_RULES:
        if pattern.search(camera):
            return framing
    return Framing.medium if has_characters else Framing.wide


# In a prompt only explicit shot phrases count: "long red hair" is not a long shot.
_PROMPT_CAMERA = _words(
    "extreme close up",
    "extreme closeup",
    "close up",
    "closeup",
    "portrait",
    "medium shot",
    "medium close up",
    "mid shot",
    "waist up",
    "over the shoulder",
    "two shot",
    "wide shot",
    "wide angle",
    "establishing shot",
    "long shot",
    "full shot",
    "full body",
    "aerial view",
    "aerial shot",
    "bird's eye view",
)
_PEOPLE = _words(
    "man", "woman", "boy", "girl", "child", "kid", "knight", "king", "queen", "prince",
    "princess", "wizard", "witch", "sailor", "soldier", "pirate", "detective", "farmer",
    "merchant", "guard", "old man", "old woman", "girl", "hero", "heroine", "warrior", "monk",
    "captain", "thief", "traveler", "traveller", "stranger", "person", "figure", "explorer",
)  # fmt: skip
_CLAUSES = re.compile(r",|;|\band\b", re.IGNORECASE)


def _prompt_characters(prompt: str) -> tuple[CharacterSpec, ...]:
    """People named by role in a bare prompt, so "a knight in silver armor" gets a figure."""
    found: list[CharacterSpec] = []
    for clause in _CLAUSES.split(prompt):
        for m in _PEOPLE.finditer(clause):
            name = " ".join(m.group(0).split()).title()
            if all(c.name != name for c in found) and len(found) < 4:
                found.append(CharacterSpec(name=name, description=clause.strip()))
    return tuple(found)


def frame_spec_from_prompt(
    prompt: str,
    *,
    width: int,
    height: int,
    seed: int = 0,
    characters: Sequence[CharacterSpec] = (),
) -> FrameSpec:
    """Read a plain text-to-image prompt as a frame: setting and camera words, people.

    The prompt itself becomes the caption, so nothing the user wrote is lost.
    """
    text = " ".join(prompt.split())
    camera = _PROMPT_CAMERA.search(text)
    cast = tuple(characters) or _prompt_characters(text)
    return FrameSpec(
        width=width,
        height=height,
        setting=" ".join(setting_words(text)),
        action=text,
        camera=camera.group(0).lower() if camera else "",
        characters=cast,
        seed=seed,
    )
