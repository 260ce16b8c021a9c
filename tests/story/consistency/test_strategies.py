"""Each strategy sends only the characters present, in the story's order, within the
model's reference limit (a composite beyond it), named in the model's own phrasing."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from storyreel.catalog import Catalog
from storyreel.errors import InputError
from storyreel.story.consistency.strategies import (
    DEFAULT_PHRASING,
    PLUGIN_REFERENCE_LIMIT,
    Choice,
    Strategy,
    address,
    choose,
    panel,
    present_references,
)
from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story
from storyreel.vocabulary import Reference, RefRole, Task

STORY = parse_story(
    """
title: Strategies
characters:
  - {name: Ana, reference_scale: 0.4}
  - {name: Bo}
  - {name: Cy}
render: {strength: 0.55, ip_adapter_masks: true}
beats:
  - shots:
      - {action: Cy and Ana and Bo meet., characters: [cy, ana, bo]}
      - {action: Bo waits., characters: [Bo]}
      - {action: Rain falls.}
"""
)
SHOTS = plan_story(STORY)
REFS = {
    name: [Reference(role=RefRole.CHARACTER, asset=ch * 64, mime="image/png")]
    for name, ch in (("Ana", "a"), ("Bo", "b"), ("Cy", "c"))
}
COMPOSITE = Reference(role=RefRole.CHARACTER, asset="f" * 64, mime="image/png", name="all")


def _compose(refs: Sequence[Reference]) -> Reference:
    _compose.calls.append([r.name for r in refs])  # type: ignore[attr-defined]
    return COMPOSITE


_compose.calls = []  # type: ignore[attr-defined]


def _mask(i: int, n: int, w: int, h: int) -> Reference:
    return Reference(role=RefRole.MASK, asset=f"{i:x}" * 64, mime="image/png")


def test_only_present_characters_in_story_order() -> None:
    refs = present_references(STORY, SHOTS[0], REFS)
    assert [r.name for r in refs] == ["Ana", "Bo", "Cy"]  # not the order the shot names them
    assert [r.name for r in present_references(STORY, SHOTS[1], REFS)] == ["Bo"]
    assert present_references(STORY, SHOTS[2], REFS) == []
    assert [r.name for r in present_references(STORY, SHOTS[0], {"Cy": REFS["Cy"]})] == ["Cy"]


def test_multi_reference_within_limit_names_each_by_position() -> None:
    choice = Choice(Strategy.MULTI_REFERENCE, "sketch:previz", 3, "{name} is the {ordinal} ({n})")
    req = panel(choice, STORY, SHOTS[0], REFS, compose=_compose)
    assert req.task is Task.REFERENCE_TO_IMAGE
    assert [r.asset[0] for r in req.references] == ["a", "b", "c"]
    assert req.prompt.startswith("Ana is the first (1); Bo is the second (2); Cy is the third (3).")


def test_beyond_the_limit_one_composite_left_to_right() -> None:
    _compose.calls.clear()  # type: ignore[attr-defined]
    choice = Choice(Strategy.MULTI_REFERENCE, "sketch:previz", 2)
    req = panel(choice, STORY, SHOTS[0], REFS, compose=_compose)
    assert req.references == (COMPOSITE,)
    assert _compose.calls == [["Ana", "Bo", "Cy"]]  # type: ignore[attr-defined]
    assert req.prompt.startswith("The reference image shows Ana, Bo, Cy, from left to right.")


def test_shot_without_characters_and_prompt_strategy_send_no_references() -> None:
    multi = Choice(Strategy.MULTI_REFERENCE, "sketch:previz", 4)
    assert panel(multi, STORY, SHOTS[2], REFS, compose=_compose).references == ()
    prompt_only = Choice(Strategy.PROMPT, "sketch:previz", 0)
    req = panel(prompt_only, STORY, SHOTS[0], REFS, compose=_compose)
    assert req.references == () and req.task is Task.TEXT_TO_IMAGE


def test_init_image_uses_the_sheet_or_a_composite_and_strength() -> None:
    choice = Choice(Strategy.INIT_IMAGE, "modelslab:flux", 1)
    one = panel(choice, STORY, SHOTS[1], REFS, compose=_compose)
    assert one.task is Task.IMAGE_TO_IMAGE and one.extra == {"strength": 0.55}
    assert [(r.role, r.asset[0]) for r in one.references] == [(RefRole.INIT_IMAGE, "b")]
    many = panel(choice, STORY, SHOTS[0], REFS, compose=_compose)
    assert [(r.role, r.asset) for r in many.references] == [(RefRole.INIT_IMAGE, "f" * 64)]


def test_ip_adapter_scales_and_one_mask_per_character() -> None:
    choice = Choice(Strategy.IP_ADAPTER, "fal:fal-ai/flux-general/image-to-image", 4)
    req = panel(choice, STORY, SHOTS[0], REFS, compose=_compose, mask=_mask)
    assert req.extra["ip_adapter_scales"] == [0.4, 0.7, 0.7]
    masks = [r for r in req.references if r.role is RefRole.MASK]
    assert [m.name for m in masks] == ["Ana", "Bo", "Cy"]
    assert "image 1" not in req.prompt  # adapters are not addressed by position


def test_address_phrasing() -> None:
    assert address(DEFAULT_PHRASING, ["Ana", "Bo"]) == (
        "Ana is the person in image 1; Bo is the person in image 2."
    )
    assert "9th" in address("{name}: {ordinal}", [str(i) for i in range(9)])


def test_choose_follows_the_catalog() -> None:
    catalog = Catalog.load()
    nano = choose(catalog, "fal:fal-ai/nano-banana/edit")
    assert (nano.strategy, nano.limit) == (Strategy.MULTI_REFERENCE, 3)
    assert "{ordinal}" in nano.phrasing
    assert choose(catalog, "modelslab:flux").strategy is Strategy.INIT_IMAGE
    assert choose(catalog, "sketch:previz", "prompt").strategy is Strategy.PROMPT
    plugin = choose(catalog, "myplugin:thing")
    assert plugin.limit == PLUGIN_REFERENCE_LIMIT
    with pytest.raises(InputError):
        choose(catalog, "modelslab:flux", "ip_adapter")
    with pytest.raises(InputError):
        choose(catalog, "myplugin:thing", "init_image")
