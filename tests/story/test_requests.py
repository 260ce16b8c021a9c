"""A story's jobs are bound to real models per shot, checked all at once and priced by the
same module the engine bills with."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.engine.pricing import estimate as engine_estimate
from storyreel.errors import ConfigError, InputError
from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story
from storyreel.story.requests import bound_clip, bound_panel, estimate_story
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

MIRA = Reference(role=RefRole.CHARACTER, asset="cd" * 32, name="Mira")


def story(image_model: str = "flux-2-pro", video_model: str = "veo31", **render: object) -> str:
    extra = "".join(f"\n  {k}: {v}" for k, v in render.items())
    return f"""
title: Binding
characters:
  - {{name: Mira, description: a young woman with long red hair}}
beats:
  - setting: harbour at dusk
    shots:
      - {{action: Mira runs along the wall, characters: [Mira], duration: 2.5}}
      - {{action: The storm rolls in over the sea, duration: 3}}
render:
  image_model: {image_model}
  video_model: {video_model}{extra}
"""


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.builtin()


def test_an_alias_binds_per_shot_to_the_model_for_what_it_carries(catalog: Catalog) -> None:
    parsed = parse_story(story())
    with_ref, without = plan_story(parsed)
    panel = bound_panel(catalog, parsed, with_ref, {"Mira": [MIRA]})
    assert panel.task is Task.REFERENCE_TO_IMAGE
    assert panel.model == "fal:fal-ai/flux-2-pro/edit"
    # A shot with no characters has no references: the text-to-image endpoint, not the
    # edit endpoint fal would answer 422 (image_urls: field required).
    bare = bound_panel(catalog, parsed, without, {"Mira": [MIRA]})
    assert bare.task is Task.TEXT_TO_IMAGE and bare.references == ()
    assert bare.model == "fal:fal-ai/flux-2-pro"
    catalog.validate_request(panel)
    catalog.validate_request(bare)


def test_a_clip_is_bought_at_the_length_the_model_makes(catalog: Catalog) -> None:
    parsed = parse_story(story())
    shot = plan_story(parsed)[0]
    clip = bound_clip(catalog, parsed, shot, panel_sha256="ef" * 32)
    assert shot.duration == 2.5 and clip.duration == 4  # Veo 3.1 makes 4, 6 or 8 s
    # The engine prices the job it runs exactly as the estimate did: $0.40/s x 4 s.
    assert engine_estimate(Settings(), clip) == catalog.estimate(clip) == Decimal("1.6")


def test_the_story_estimate_is_what_the_engine_will_charge(catalog: Catalog) -> None:
    parsed = parse_story(story())
    result = estimate_story(catalog, parsed, plan_story(parsed), {"Mira": [MIRA]})
    assert result.errors == []
    engine_total = sum(engine_estimate(Settings(), r) or Decimal(0) for r in result.requests)
    assert result.total_usd == engine_total
    assert result.panels_usd == Decimal("0.06") and result.clips_usd == Decimal("3.2")


def test_every_problem_is_listed_at_once(catalog: Catalog) -> None:
    parsed = parse_story(story(image_model="kie:seedream/4.5-edit", video_model="flux-2-pro"))
    result = estimate_story(catalog, parsed, plan_story(parsed), {"Mira": [MIRA]})
    with pytest.raises(InputError) as caught:
        result.raise_errors("binding.yaml")
    message = caught.value.message
    assert message.startswith("binding.yaml: ")
    assert "shots 1, 2: " in message and "cannot do image-to-video" in message
    assert result.shots == []


def _missing_key(req: GenerationRequest) -> None:
    raise ConfigError(f"provider {req.provider!r} has no API key here")


def test_a_missing_key_alone_is_a_configuration_error(catalog: Catalog) -> None:
    """The story is fine; the machine lacks a key: exit 5 (configuration), not 3."""
    parsed = parse_story(story())
    result = estimate_story(catalog, parsed, plan_story(parsed), {}, check=_missing_key)
    with pytest.raises(ConfigError, match="has no API key here"):
        result.raise_errors("binding.yaml")


def test_a_bad_story_beside_a_missing_key_is_an_input_error(catalog: Catalog) -> None:
    parsed = parse_story(story(video_model="flux-2-pro"))
    result = estimate_story(catalog, parsed, plan_story(parsed), {}, check=_missing_key)
    with pytest.raises(InputError) as caught:
        result.raise_errors("binding.yaml")
    assert not isinstance(caught.value, ConfigError)
    assert "cannot do image-to-video" in caught.value.message
    assert "has no API key here" in caught.value.message
