"""Story transforms: the written plan runs as the planned story; drafts and finals differ
only in the models of the shots they touch; --shots parsing."""

from __future__ import annotations

import pytest

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.errors import InputError
from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story
from storyreel.story.requests import bound_clip, bound_panel, video_model_of
from storyreel.story.variants import as_beats, for_finalize, for_run, parse_shots, with_models

STORY = parse_story(
    """
title: Harbour
characters:
  - {name: Mira, description: a young woman with long red hair}
story: |
  Mira runs along the harbour wall at dusk. She stops and smiles.

  The storm breaks over the lighthouse. Mira climbs the stairs.
render:
  image_model: flux-schnell
  video_model: by-role
  draft_model: z-image-turbo
"""
)


@pytest.fixture
def catalog(settings: Settings) -> Catalog:
    return Catalog.load(settings)


def requests(catalog: Catalog, story: object) -> list[tuple[str, str]]:
    out = []
    for shot in plan_story(story):  # type: ignore[arg-type]
        panel = bound_panel(catalog, story, shot, {})  # type: ignore[arg-type]
        clip = bound_clip(catalog, story, shot, panel_sha256="0" * 64)  # type: ignore[arg-type]
        out.append((panel.cache_key(), clip.cache_key()))
    return out


def test_the_written_plan_makes_exactly_the_requests_of_the_planned_story(
    catalog: Catalog,
) -> None:
    written = as_beats(STORY)
    reread = parse_story(written.model_dump_json(exclude_defaults=True), name="p.json")
    assert requests(catalog, reread) == requests(catalog, STORY)


def test_roles_pick_seed_002_models_unless_overridden() -> None:
    shots = plan_story(STORY)
    roles = {s.video_role: video_model_of(STORY, s) for s in shots}
    assert roles["action"] == "aimlapi:minimax/hailuo-2.3-fast"
    assert roles["cinematic"] == "replicate:google/veo-3.1-fast"
    one = with_models(STORY, image_model=None, video_model="kling")
    assert {video_model_of(one, s) for s in shots} == {"kling"}


def test_drafts_and_finals_differ_only_in_the_shots_they_touch(catalog: Catalog) -> None:
    draft = requests(catalog, for_run(STORY))
    final = requests(catalog, for_finalize(STORY, None))
    some = requests(catalog, for_finalize(STORY, {2, 3}))
    assert some[0] == draft[0] and some[3] == draft[3]
    assert some[1] == final[1] and some[2] == final[2]
    assert all(d[0] != f[0] for d, f in zip(draft, final, strict=True))
    panel = bound_panel(catalog, for_run(STORY), plan_story(for_run(STORY))[0], {})
    assert panel.model == "replicate:prunaai/z-image-turbo"


def test_finalize_refuses_unknown_shots_and_a_story_without_drafts() -> None:
    with pytest.raises(InputError, match="shot\\(s\\) 9"):
        for_finalize(STORY, {1, 9})
    plain = STORY.model_copy(
        update={"render": STORY.render.model_copy(update={"draft_model": None})}
    )
    with pytest.raises(InputError, match="draft_model"):
        for_finalize(plain, None)


def test_shot_lists_parse_or_fail_clearly() -> None:
    assert parse_shots("1,3-5") == {1, 3, 4, 5}
    assert parse_shots(" 2 ") == {2}
    for bad in ("", "0", "5-3", "a", "1,,2", "-1"):
        with pytest.raises(InputError, match="--shots"):
            parse_shots(bad)
