"""Shots that move from their panel to the next one's: the request carries both frames on
a first-last-frame model, the clip waits for the next panel, and a model that cannot do it
is refused before anything is bought."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image
from sqlalchemy import select

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.engine.app import Engine
from storyreel.errors import InputError
from storyreel.store.models import Job, Shot
from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story
from storyreel.story.requests import PLACEHOLDER_PANEL, bound_clip, estimate_story
from storyreel.story.runner import run_story
from storyreel.vocabulary import GenerationRequest, RefRole, Task
from tests.media.helpers import frame_image, mean_diff

PANEL_1, PANEL_2 = "1" * 64, "2" * 64


def story_text(video_model: str, *, flf_last: bool = False) -> str:
    return f"""
title: Doors
characters:
  - {{name: Mira, description: a young woman with long red hair}}
beats:
  - setting: harbour at dusk
    shots:
      - {{action: Mira opens the door, characters: [Mira], duration: 1, end_on_next: true}}
      - {{action: The lamp room at night, duration: 1, end_on_next: {str(flf_last).lower()}}}
render:
  width: 192
  height: 108
  fps: 8
  transition_frames: 0
  video_model: {video_model}
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog.load(Settings(data_dir=tmp_path))


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("veo31-fast", "fal:fal-ai/veo3.1/fast/first-last-frame-to-video"),
        ("veo31", "fal:fal-ai/veo3.1/first-last-frame-to-video"),
        ("kling", "fal:fal-ai/kling-video/v2.5-turbo/pro/image-to-video"),
        ("motion:kenburns", "motion:kenburns"),
    ],
)
def test_the_request_carries_first_and_last_frame_on_a_first_last_model(
    catalog: Catalog, name: str, model: str
) -> None:
    story = parse_story(story_text(name), name="s.yaml")
    shot = plan_story(story)[0]
    req = bound_clip(catalog, story, shot, panel_sha256=PANEL_1, last_panel_sha256=PANEL_2)
    assert req.task is Task.FIRST_LAST_TO_VIDEO and req.model == model
    assert [r.asset for r in req.refs(RefRole.FIRST_FRAME)] == [PANEL_1]
    assert [r.asset for r in req.refs(RefRole.LAST_FRAME)] == [PANEL_2]
    catalog.validate_request(req)
    plain = bound_clip(catalog, story, shot, panel_sha256=PANEL_1)
    assert plain.task is Task.IMAGE_TO_VIDEO and not plain.refs(RefRole.LAST_FRAME)


def test_a_model_without_first_last_frames_is_refused_in_the_estimate(catalog: Catalog) -> None:
    story = parse_story(story_text("sora-2"), name="s.yaml")
    estimate = estimate_story(catalog, story, plan_story(story), {})
    assert estimate.errors == [
        "shot 1: fal:fal-ai/sora-2/image-to-video cannot do first-last-to-video; it does: "
        "image-to-video; a shot that ends on the next panel needs a first-last-frame video "
        "model (storyreel models --task first-last-to-video)"
    ]


def test_the_estimate_prices_the_first_last_endpoint(catalog: Catalog) -> None:
    story = parse_story(story_text("veo31-fast"), name="s.yaml")
    estimate = estimate_story(catalog, story, plan_story(story), {})
    assert estimate.shots[0].clip_model == "fal:fal-ai/veo3.1/fast/first-last-frame-to-video"
    assert estimate.shots[1].clip_model == "fal:fal-ai/veo3.1/fast/image-to-video"
    req = next(r for r in estimate.requests if r.task is Task.FIRST_LAST_TO_VIDEO)
    assert req.refs(RefRole.LAST_FRAME)[0].asset == PLACEHOLDER_PANEL


def test_the_last_shot_cannot_end_on_a_next_panel() -> None:
    with pytest.raises(InputError, match="shot 2 is the last"):
        parse_story(story_text("motion:kenburns", flf_last=True), name="s.yaml")


async def test_an_offline_clip_ends_on_the_next_panel(tmp_path: Path) -> None:
    story = tmp_path / "story.yaml"
    story.write_text(story_text("motion:kenburns"))
    settings = Settings(data_dir=tmp_path / "data", poll_interval=0.05, queue_poll_interval=0.05)
    manifest = await run_story(settings, story, tmp_path / "out")
    async with Engine(settings) as engine:
        assert engine.runtime is not None
        async with engine.runtime.db.session() as session:
            shots = (await session.execute(select(Shot).order_by(Shot.number))).scalars().all()
            clip = await session.get(Job, shots[0].clip_job_id)
            panel_2 = await session.get(Job, shots[1].panel_job_id)
            assert clip is not None and panel_2 is not None
            req = GenerationRequest.model_validate(clip.request)
            # The clip was only created once the next shot's panel was done.
            assert panel_2.finished_at is not None and clip.created_at >= panel_2.finished_at
    panels = [s["panel"]["sha256"] for s in manifest["shots"]]
    assert req.task is Task.FIRST_LAST_TO_VIDEO
    assert [r.asset for r in req.refs(RefRole.FIRST_FRAME)] == [panels[0]]
    assert [r.asset for r in req.refs(RefRole.LAST_FRAME)] == [panels[1]]
    with av.open(str(tmp_path / "out" / manifest["shots"][0]["clip"]["file"])) as container:
        frames = [frame_image(f) for f in container.decode(video=0)]
    first = Image.open(tmp_path / "out" / manifest["shots"][0]["panel"]["file"]).convert("RGB")
    last = Image.open(tmp_path / "out" / manifest["shots"][1]["panel"]["file"]).convert("RGB")
    size = frames[0].size
    assert mean_diff(frames[0], first.resize(size)) < mean_diff(frames[0], last.resize(size))
    assert mean_diff(frames[-1], last.resize(size)) < mean_diff(frames[-1], first.resize(size))
