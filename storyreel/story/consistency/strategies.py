"""How a panel holds its characters, chosen from what the image model can take.

One strategy per model family, each a pure function from (story, shot, references) to the
panel's request, so each is tested on its own:

* ``multi_reference`` (FLUX.2 edit, Nano Banana, Kling Image, gpt-image edits, Seedream):
  the references of the characters present, in the story's character order (a character
  keeps its slot from panel to panel), at most the model's ``max_references``, and a prompt
  that names each by position in the phrasing the model documents (``reference_phrasing``).
* ``ip_adapter`` (fal ``flux-general``): one adapter image per present character, each with
  its ``characters[].reference_scale`` and, optionally, a mask for its part of the frame.
* ``init_image`` (ModelsLab image-to-image, Replicate flux-dev): one init image (the sheet or
  reference; several characters: their sheets side by side) and ``render.strength``.
* ``prompt`` (text-only models): the description in the prompt and the locked seed only.

A shot with more characters than the model accepts gets one composite reference (the sheets
side by side, left to right in the same order), which every such model can take.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from storyreel.catalog import Catalog
from storyreel.catalog.schema import ModelEntry
from storyreel.errors import InputError
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

from ..planner import PlannedShot
from ..prompts import panel_request
from ..schema import StoryDef

DEFAULT_PHRASING = "{name} is the person in image {n}"
PLUGIN_REFERENCE_LIMIT = 16
"""A plugin model the catalog has no data for takes this many references (its provider
checks its own limit)."""

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


class Strategy(StrEnum):
    MULTI_REFERENCE = "multi_reference"
    IP_ADAPTER = "ip_adapter"
    INIT_IMAGE = "init_image"
    PROMPT = "prompt"


_TASK = {
    Strategy.MULTI_REFERENCE: Task.REFERENCE_TO_IMAGE,
    Strategy.IP_ADAPTER: Task.REFERENCE_TO_IMAGE,
    Strategy.INIT_IMAGE: Task.IMAGE_TO_IMAGE,
    Strategy.PROMPT: Task.TEXT_TO_IMAGE,
}

Compose = Callable[[Sequence[Reference]], Reference]
"""Makes (and stores) the composite of several references, left to right."""
MaskMaker = Callable[[int, int, int, int], Reference]
"""Makes the mask of slot ``i`` of ``n`` for a ``width`` x ``height`` frame."""


@dataclass(frozen=True)
class Choice:
    """What a model's panels with characters will be made with."""

    strategy: Strategy
    model: str
    limit: int
    phrasing: str = DEFAULT_PHRASING

    @property
    def task(self) -> Task:
        return _TASK[self.strategy]


def mode_of(entry: ModelEntry) -> Strategy | None:
    """The reference strategy a catalog entry supports, or None (text only)."""
    if entry.reference_mode is not None:
        return Strategy(entry.reference_mode)
    if entry.max_references > 0 and Task.REFERENCE_TO_IMAGE in entry.tasks:
        return Strategy.MULTI_REFERENCE
    if entry.max_references > 0 and Task.IMAGE_TO_IMAGE in entry.tasks:
        return Strategy.INIT_IMAGE
    return None


def choose(catalog: Catalog, name: str, wanted: str = "auto") -> Choice:
    """The strategy for panels with character references on the model ``name`` means.

    ``wanted`` is ``render.consistency``: 'auto' takes what the model can do, a named
    strategy the model cannot do is an InputError, and 'prompt' never sends references.
    """
    if wanted == Strategy.PROMPT:
        return Choice(Strategy.PROMPT, name, 0)
    if name not in catalog:
        if wanted not in ("auto", Strategy.MULTI_REFERENCE):
            raise InputError(f"{name} is not in the catalog, so it cannot be used with {wanted}")
        return Choice(Strategy.MULTI_REFERENCE, name, PLUGIN_REFERENCE_LIMIT)
    for task in (Task.REFERENCE_TO_IMAGE, Task.IMAGE_TO_IMAGE):
        try:
            entry = catalog.for_task(name, task)
        except InputError:
            continue
        mode = mode_of(entry)
        if mode is None or wanted not in ("auto", mode):
            continue
        phrasing = entry.reference_phrasing or DEFAULT_PHRASING
        return Choice(mode, entry.id, entry.max_references, phrasing)
    if wanted != "auto":
        raise InputError(f"{name} cannot take character references as {wanted}")
    return Choice(Strategy.PROMPT, name, 0)


def present_references(
    story: StoryDef, shot: PlannedShot, references: dict[str, list[Reference]]
) -> list[Reference]:
    """One reference per character in the shot that has one (its own image or its
    sheet), in the story's character order, so a character keeps its slot."""
    inside = {name.casefold() for name in shot.characters}
    picked = []
    for character in story.characters:
        refs = references.get(character.name)
        if character.name.casefold() in inside and refs:
            picked.append(refs[0].model_copy(update={"name": character.name}))
    return picked


def address(phrasing: str, names: Sequence[str], *, composite: bool = False) -> str:
    """The sentence that tells the model which reference image is whom."""
    if composite:
        return f"The reference image shows {', '.join(names)}, from left to right."
    return "; ".join(_fill(phrasing, name, n) for n, name in enumerate(names, 1)) + "."


def _fill(phrasing: str, name: str, n: int) -> str:
    ordinal = _ORDINALS[n - 1] if n <= len(_ORDINALS) else f"{n}th"
    return phrasing.format(name=name, n=n, ordinal=ordinal)


def panel(
    choice: Choice,
    story: StoryDef,
    shot: PlannedShot,
    references: dict[str, list[Reference]],
    *,
    compose: Compose,
    mask: MaskMaker | None = None,
) -> GenerationRequest:
    """The panel request for ``shot`` made with ``choice``'s strategy."""
    refs = [] if choice.strategy is Strategy.PROMPT else present_references(story, shot, references)
    if not refs:
        return panel_request(story, shot, references={}, model=choice.model)
    base = panel_request(story, shot, references={}, model=choice.model)
    names = [ref.name or "" for ref in refs]
    if choice.strategy is Strategy.INIT_IMAGE:
        init = refs[0] if len(refs) == 1 else compose(refs)
        return base.model_copy(
            update={
                "task": Task.IMAGE_TO_IMAGE,
                "references": (init.model_copy(update={"role": RefRole.INIT_IMAGE}),),
                "extra": {"strength": story.render.strength},
            }
        )
    composite = len(refs) > choice.limit
    if composite:
        refs = [compose(refs)]
    update: dict[str, object] = {
        "task": Task.REFERENCE_TO_IMAGE,
        "references": tuple(refs),
        "prompt": f"{address(choice.phrasing, names, composite=composite)} {base.prompt}",
    }
    if choice.strategy is Strategy.IP_ADAPTER:
        scales = {c.name: c.reference_scale for c in story.characters}
        update["prompt"] = base.prompt
        update["extra"] = {"ip_adapter_scales": [scales.get(r.name or "", 0.7) for r in refs]}
        if mask is not None and story.render.ip_adapter_masks and len(refs) > 1:
            width, height = story.size
            masks = [
                mask(i, len(refs), width, height).model_copy(
                    update={"role": RefRole.MASK, "name": ref.name}
                )
                for i, ref in enumerate(refs)
            ]
            update["references"] = (*refs, *masks)
    return base.model_copy(update=update)


__all__ = [
    "Choice",
    "Compose",
    "MaskMaker",
    "Strategy",
    "address",
    "choose",
    "mode_of",
    "panel",
    "present_references",
]
