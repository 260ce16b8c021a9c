"""Edits re-run only what changed, counted at the provider: the panels and clips run on
the Replicate simulator, whose submission counter is what a real account would bill.

* unchanged re-run: no submission;
* one shot's action edited: exactly that panel and its clip;
* a character's description edited: the panels that character is in, and their clips;
* the transition changed: no submission (only the assembly is redone);
* ``story plan`` predicts each of these before the run;
* ``redo --shot N --stage clip|panel``: exactly one new clip or panel;
* drafts, then ``finalize --shots``: only the chosen shots on the final models.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storyreel.config import Settings
from storyreel.story.preview import preview_story
from storyreel.story.redo import Redo
from storyreel.story.runner import RunOptions, run_story
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite

pytestmark = pytest.mark.slow

PANEL = "black-forest-labs/flux-schnell"
CLIP = "bytedance/seedance-1-pro-fast"
STORY = """
title: Edits
characters:
  - {name: Mira, description: a young woman with long red hair}
  - {name: Oren, description: an old sailor with a grey beard}
beats:
  - setting: harbour at dusk
    shots:
      - {action: Mira waits on the wall, characters: [Mira], duration: 2}
      - {action: Oren mends a net, characters: [Oren], duration: 2}
      - {action: Mira and Oren share tea, characters: [Mira, Oren], duration: 2}
render:
  image_model: replicate:black-forest-labs/flux-schnell
  video_model: replicate:bytedance/seedance-1-pro-fast
  width: 192
  height: 108
  fps: 8
  transition_frames: 2
"""


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    config = SimConfig(latency=0.05, video_latency=0.1)
    async with serve_simulators(config, providers=["replicate"], files_dir=tmp_path / "sim") as s:
        yield s


@pytest.fixture
def sim_settings(settings: Settings, suite: SimulatorSuite) -> Settings:
    return settings.model_copy(
        update={"providers": {"replicate": suite.provider_settings("replicate")}}
    )


def bought(suite: SimulatorSuite) -> tuple[int, int]:
    """(panels, clips) submitted so far; the counter is reset after reading."""
    counts = suite["replicate"].submissions
    result = (counts[PANEL], counts[CLIP])
    counts.clear()
    return result


async def predicted(settings: Settings, story: Path) -> tuple[list[int], list[int], bool]:
    view = await preview_story(settings, story)
    assert view.redo is not None
    return view.redo.panels, view.redo.clips, view.redo.assembly


async def test_each_edit_buys_exactly_what_it_changed(
    tmp_path: Path, sim_settings: Settings, suite: SimulatorSuite
) -> None:
    story, out = tmp_path / "story.yaml", tmp_path / "out"
    text = STORY
    story.write_text(text)
    assert await predicted(sim_settings, story) == ([1, 2, 3], [1, 2, 3], True)
    first = await run_story(sim_settings, story, out)
    assert bought(suite) == (3, 3)

    again = await run_story(sim_settings, story, out)
    assert bought(suite) == (0, 0), "an unchanged re-run makes no provider call"
    assert again["video"] == first["video"]

    text = text.replace("Oren mends a net", "Oren mends a sail")
    story.write_text(text)
    assert await predicted(sim_settings, story) == ([2], [2], True)
    await run_story(sim_settings, story, out)
    assert bought(suite) == (1, 1), "one edited shot: its panel and its clip"

    text = text.replace("an old sailor with a grey beard", "an old sailor with a white beard")
    story.write_text(text)
    await run_story(sim_settings, story, out)
    assert bought(suite) == (2, 2), "Oren's panels (shots 2 and 3) and their clips"

    story.write_text(text.replace("transition_frames: 2", "transition_frames: 1"))
    assert await predicted(sim_settings, story) == ([], [], True)
    changed = await run_story(sim_settings, story, out)
    assert bought(suite) == (0, 0), "a new transition re-makes only the video"
    assert changed["video"]["sha256"] != again["video"]["sha256"]

    await run_story(sim_settings, story, out, force=Redo(shot=2, stage="clip"))
    assert bought(suite) == (0, 1), "redo --stage clip: one new clip"
    await run_story(sim_settings, story, out, force=Redo(shot=3, stage="panel"))
    panels, clips = bought(suite)
    assert panels == 1 and clips <= 1, "a new panel; its clip only if the panel changed"
    assert await predicted(sim_settings, story) == ([], [], False), "later runs reuse them"


async def test_drafts_then_finalize_buys_only_the_chosen_shots(
    tmp_path: Path, sim_settings: Settings, suite: SimulatorSuite
) -> None:
    story, out = tmp_path / "story.yaml", tmp_path / "out"
    draft = "prunaai/z-image-turbo"
    story.write_text(STORY.replace("  fps: 8\n", "  fps: 8\n  draft_model: z-image-turbo\n"))
    drafted = await run_story(sim_settings, story, out)
    counts = suite["replicate"].submissions
    assert (counts[draft], counts[PANEL], counts[CLIP]) == (3, 0, 0), "drafts animate offline"
    counts.clear()

    final = await run_story(
        sim_settings, story, out, options=RunOptions(finalize=True, shots=frozenset({2}))
    )
    assert (counts[draft], counts[PANEL], counts[CLIP]) == (0, 1, 1)
    assert final["video"]["sha256"] != drafted["video"]["sha256"]
