"""Prompt building: every shot's prompt carries the full description of every character in
it (seed 001's ``hero_description``, applied per character), the setting and the style, so
a model that sees only the prompt still draws the same people. The project seed is fixed,
so the same shot asks for the same picture on every run.
"""

from __future__ import annotations

import hashlib

from storyreel.vocabulary import (
    GenerationRequest,
    Reference,
    RefRole,
    ShotCharacter,
    ShotInfo,
    Task,
)

from .planner import PlannedShot
from .schema import StoryDef

NEGATIVE_PROMPT = "blurry, low quality, distorted faces, extra limbs, text artifacts"


def project_seed(story: StoryDef) -> int:
    """The story's seed, or one derived from its title so it is stable across runs."""
    if story.seed is not None:
        return story.seed
    return int.from_bytes(hashlib.sha256(story.title.encode()).digest()[:4], "big")


def image_prompt(story: StoryDef, shot: PlannedShot) -> str:
    """'<camera>: <action>. <Name>: <description>. ... Setting: ... Style: ...'"""
    descriptions = {c.name: c.description for c in story.characters}
    what = shot.image_prompt or shot.action
    parts = [f"{shot.camera}: {what}" if shot.camera else what]
    for index, name in enumerate(shot.characters, 1):
        description = descriptions.get(name, "")
        label = f"{name} (person {index})" if len(shot.characters) > 1 else name
        parts.append(f"{label}: {description}" if description else label)
    if shot.setting:
        parts.append(f"Setting: {shot.setting}")
    if story.style:
        parts.append(f"Style: {story.style}")
    parts.append("Consistent characters, storyboard frame")
    return ". ".join(p.rstrip(".") for p in parts) + "."


def motion_prompt(shot: PlannedShot) -> str:
    return f"{shot.motion}. {shot.action}" if shot.motion else shot.action


def panel_request(
    story: StoryDef,
    shot: PlannedShot,
    *,
    references: dict[str, list[Reference]],
    model: str,
) -> GenerationRequest:
    """The image job for one shot, with the references of the characters in it, on
    ``model`` (a full id; ``story.requests`` picks it for the shot)."""
    refs = tuple(ref for name in shot.characters for ref in references.get(name, []))
    width, height = story.size
    descriptions = {c.name: c.description for c in story.characters}
    return GenerationRequest(
        task=Task.REFERENCE_TO_IMAGE if refs else Task.TEXT_TO_IMAGE,
        model=model,
        prompt=image_prompt(story, shot),
        negative_prompt=NEGATIVE_PROMPT,
        references=refs,
        width=width,
        height=height,
        aspect=story.aspect,
        seed=project_seed(story),
        shot=ShotInfo(
            action=shot.action,
            setting=shot.setting,
            camera=shot.camera,
            style=story.style,
            label=f"Shot {shot.number}",
            characters=tuple(
                ShotCharacter(name=n, description=descriptions.get(n, "")) for n in shot.characters
            ),
        ),
    )


def clip_request(
    story: StoryDef, shot: PlannedShot, *, panel_sha256: str, model: str
) -> GenerationRequest:
    """The image-to-video job that animates one panel, for the shot's planned length (the
    catalog rounds it to one the model can make; assembly trims back to the plan)."""
    width, height = story.size
    return GenerationRequest(
        task=Task.IMAGE_TO_VIDEO,
        model=model,
        prompt=motion_prompt(shot),
        references=(Reference(role=RefRole.FIRST_FRAME, asset=panel_sha256, mime="image/png"),),
        width=width,
        height=height,
        aspect=story.aspect,
        duration=shot.duration,
        fps=story.render.fps,
        seed=project_seed(story),
    )
