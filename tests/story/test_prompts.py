from __future__ import annotations

from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story
from storyreel.story.prompts import clip_request, image_prompt, panel_request, project_seed
from storyreel.vocabulary import Reference, RefRole, Task

STORY = parse_story(
    """
title: Prompts
style: noir comic
characters:
  - {name: Mira, description: a young woman with long red hair}
  - {name: Tomas, description: an old keeper with a white beard}
story: Mira and Tomas meet at the harbour. Tomas smiles.
"""
)
REF = Reference(role=RefRole.CHARACTER, asset="cd" * 32, name="Mira")
SKETCH = "sketch:previz"


def test_every_character_description_is_injected_per_shot() -> None:
    first, second = plan_story(STORY)
    prompt = image_prompt(STORY, first)
    assert "Mira (person 1): a young woman with long red hair" in prompt
    assert "Tomas (person 2): an old keeper with a white beard" in prompt
    assert "Setting: harbour" in prompt and "Style: noir comic" in prompt
    assert "Tomas: an old keeper" in image_prompt(STORY, second)
    assert "Mira" not in image_prompt(STORY, second)


def test_seed_is_fixed_per_project() -> None:
    assert project_seed(STORY) == project_seed(STORY)
    assert project_seed(STORY.model_copy(update={"seed": 9})) == 9
    requests = [panel_request(STORY, s, references={}, model=SKETCH) for s in plan_story(STORY)]
    assert {r.seed for r in requests} == {project_seed(STORY)}


def test_panel_carries_only_its_characters_references() -> None:
    first, second = plan_story(STORY)
    with_ref = panel_request(STORY, first, references={"Mira": [REF]}, model=SKETCH)
    assert with_ref.task is Task.REFERENCE_TO_IMAGE and with_ref.references == (REF,)
    without = panel_request(STORY, second, references={"Mira": [REF]}, model=SKETCH)
    assert without.task is Task.TEXT_TO_IMAGE and without.references == ()
    assert with_ref.shot is not None and [c.name for c in with_ref.shot.characters] == [
        "Mira",
        "Tomas",
    ]


def test_clip_request_animates_the_panel() -> None:
    shot = plan_story(STORY)[0]
    clip = clip_request(STORY, shot, panel_sha256="ef" * 32, model="motion:kenburns")
    assert clip.task is Task.IMAGE_TO_VIDEO
    assert clip.references[0].role is RefRole.FIRST_FRAME and clip.references[0].asset == "ef" * 32
    assert clip.prompt.startswith(shot.motion) and clip.duration == shot.duration
    assert (clip.width, clip.height, clip.fps) == (1024, 576, 24)
