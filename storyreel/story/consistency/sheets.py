"""Character sheets: the reference a character without one gets before any panel is drawn.

A sheet is an ordinary text-to-image job on the story's image model (or ``render.sheet_model``)
with the character's description, the story's style and the project seed, on a plain
background: a portrait, or a front/side/back turnaround. Its output becomes the character's
reference for every panel it is in, exactly as a user's own image would (a user's image
always wins: such a character gets no sheet). Because it is a job like any other, it is
priced by the estimate, held to the budget and reused on a re-run.
"""

from __future__ import annotations

from storyreel.vocabulary import GenerationRequest, ShotCharacter, ShotInfo, Task

from ..prompts import NEGATIVE_PROMPT, project_seed
from ..schema import CharacterDef, StoryDef

SHEET_CAMERA = {
    "portrait": "character sheet, full shot",
    "turnaround": "character turnaround, full shot",
}
"""The ``ShotInfo.camera`` of a sheet: renderers that draw from structure (``sketch``) read
it to draw a sheet instead of a scene."""

_SIZES = {"portrait": (768, 1024), "turnaround": (1344, 768)}
_VIEWS = {
    "portrait": "Full-body portrait, front view, standing, arms relaxed",
    "turnaround": "Turnaround sheet: the same character three times, front, side and back views",
}


def sheet_characters(story: StoryDef, with_reference: set[str]) -> list[CharacterDef]:
    """The characters that get a sheet: in at least one shot, without a reference image,
    unless sheets are off."""
    if story.render.sheets == "off":
        return []
    cast = {
        name.casefold() for beat in story.beats for shot in beat.shots for name in shot.characters
    }
    if not story.beats:  # planned from text: every character may appear
        cast = {c.name.casefold() for c in story.characters}
    return [
        c
        for c in story.characters
        if c.name.casefold() in cast and c.name not in with_reference and not c.references
    ]


def sheet_prompt(story: StoryDef, character: CharacterDef) -> str:
    parts = [f"Character sheet of {character.name}"]
    if character.description:
        parts[0] += f": {character.description}"
    parts.append(_VIEWS[story.render.sheets])
    parts.append("Plain neutral light-grey background, even studio lighting, nobody else, no text")
    if story.style:
        parts.append(f"Style: {story.style}")
    return ". ".join(p.rstrip(".") for p in parts) + "."


def sheet_request(story: StoryDef, character: CharacterDef, *, model: str) -> GenerationRequest:
    """The sheet's text-to-image job on ``model`` (a full id)."""
    kind = story.render.sheets if story.render.sheets != "off" else "portrait"
    width, height = _SIZES[kind]
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE,
        model=model,
        prompt=sheet_prompt(story, character),
        negative_prompt=NEGATIVE_PROMPT,
        width=width,
        height=height,
        aspect="3:4" if kind == "portrait" else "16:9",
        seed=project_seed(story),
        shot=ShotInfo(
            action=f"{character.name}, character sheet",
            camera=SHEET_CAMERA[kind],
            style=story.style,
            label=character.name,
            characters=(ShotCharacter(name=character.name, description=character.description),),
        ),
    )


__all__ = ["SHEET_CAMERA", "sheet_characters", "sheet_prompt", "sheet_request"]
