"""One story, several ways to run it: command-line model overrides, the written plan,
drafts and finalized shots. Each is a plain transform of the story file, so everything
after it (preflight, pricing, jobs, reuse) is the ordinary story path.

* ``as_beats``: the plan written out as explicit beats (``story plan --write``); running
  it makes exactly the requests the planned story makes, so nothing is bought twice.
* ``for_run``: with ``render.draft_model`` set, ``story run`` draws every panel on the
  draft model and animates it with ``render.draft_video_model`` (offline pan/zoom by
  default): a whole storyboard and animatic for next to nothing.
* ``for_finalize``: the chosen shots on the final models, every other shot as its draft
  (reused, not redrawn), so the finished video mixes final and draft shots until every
  shot is finalized.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from storyreel.errors import InputError

from .planner import PlannedShot, plan_story
from .schema import BeatDef, ShotDef, StoryDef


def with_models(story: StoryDef, *, image_model: str | None, video_model: str | None) -> StoryDef:
    """``story run --image-model/--video-model``: over the file's render models (and over
    its per-role video models: one model for every clip)."""
    update: dict[str, object] = {}
    if image_model:
        update["image_model"] = image_model
    if video_model:
        update["video_model"] = video_model
        update["video_roles"] = {}
    if not update:
        return story
    return story.model_copy(update={"render": story.render.model_copy(update=update)})


def _shot_def(shot: PlannedShot, **models: str | None) -> ShotDef:
    return ShotDef(
        action=shot.action,
        characters=list(shot.characters),
        setting=shot.setting,
        camera=shot.camera,
        motion=shot.motion,
        duration=shot.duration,
        image_prompt=shot.image_prompt,
        video_role=shot.video_role,
        image_model=models.get("image_model", shot.image_model),
        video_model=models.get("video_model", shot.video_model),
    )


def as_beats(
    story: StoryDef,
    shots: Sequence[PlannedShot] | None = None,
    *,
    draft: Iterable[int] = (),
) -> StoryDef:
    """``story`` with its plan written out as explicit beats. The shots numbered in
    ``draft`` are pinned to the draft models."""
    shots = plan_story(story) if shots is None else shots
    drafted = set(draft)
    beats: dict[int, list[ShotDef]] = {}
    for shot in shots:
        models: dict[str, str | None] = {}
        if shot.number in drafted:
            models = {
                "image_model": story.render.draft_model,
                "video_model": story.render.draft_video_model,
            }
        beats.setdefault(shot.beat, []).append(_shot_def(shot, **models))
    written = [BeatDef(shots=shots) for _, shots in sorted(beats.items())]
    return story.model_copy(update={"beats": written})


def for_run(story: StoryDef) -> StoryDef:
    """What ``story run`` makes: the drafts when the story has a draft model."""
    if story.render.draft_model is None:
        return story
    return as_beats(story, draft=[shot.number for shot in plan_story(story)])


def for_finalize(story: StoryDef, chosen: set[int] | None) -> StoryDef:
    """What ``story finalize`` makes: ``chosen`` shots (None: all) final, the rest drafts."""
    if story.render.draft_model is None:
        raise InputError("finalize needs a draft: set render.draft_model in the story file")
    shots = plan_story(story)
    numbers = {shot.number for shot in shots}
    if chosen is not None and not chosen <= numbers:
        unknown = ", ".join(str(n) for n in sorted(chosen - numbers))
        raise InputError(f"--shots names shot(s) {unknown}; the story has shots 1-{len(shots)}")
    if chosen is None:
        return story
    return as_beats(story, shots, draft=numbers - chosen)


_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_shots(text: str) -> set[int]:
    """``1,3-5`` -> {1, 3, 4, 5}; anything else is one clear InputError."""
    chosen: set[int] = set()
    for part in text.split(","):
        match = _RANGE.match(part.strip())
        if not match:
            raise InputError(f"--shots: {part.strip()!r} is not a shot number or range like 3-5")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if first < 1 or last < first or last - first > 10_000:
            raise InputError(f"--shots: {part.strip()!r} is not a range of shot numbers")
        chosen.update(range(first, last + 1))
    return chosen
