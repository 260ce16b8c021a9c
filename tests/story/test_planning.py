"""The LLM planner against the AIML API simulator's chat endpoint: a plan in seed 000's
shape, an invalid first answer fixed by the repair round, a second invalid answer as one
clear error, the planner's cost counted in the run's, and no chat call on a re-run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.config import Settings
from storyreel.errors import BudgetExceeded, ProviderJobError
from storyreel.story.loader import parse_story
from storyreel.story.planner import plan_story
from storyreel.story.preview import preview_story, write_plan
from storyreel.story.runner import RunOptions, run_story
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite

pytestmark = pytest.mark.slow

STORY = """
title: Harbour
characters:
  - {name: Mira, description: a young woman with long red hair}
story: |
  Mira runs along the harbour wall. The gulls scatter.

  The storm breaks. Mira climbs the lighthouse stairs.
plan: {planner: gpt-4o, beats: 2, key_actions: 3}
render: {width: 160, height: 90, fps: 8, duration: 1, transition_frames: 1}
"""


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    async with serve_simulators(
        SimConfig(latency=0.05), providers=["aimlapi"], files_dir=tmp_path / "sim"
    ) as served:
        yield served


@pytest.fixture
def sim_settings(settings: Settings, suite: SimulatorSuite) -> Settings:
    return settings.model_copy(
        update={"providers": {"aimlapi": suite.provider_settings("aimlapi")}}
    )


def chats(suite: SimulatorSuite) -> int:
    return suite["aimlapi"].submissions["gpt-4o"]


async def test_a_repaired_plan_runs_its_cost_counts_and_a_rerun_asks_nothing(
    tmp_path: Path, sim_settings: Settings, suite: SimulatorSuite
) -> None:
    story, out = tmp_path / "story.yaml", tmp_path / "out"
    story.write_text(STORY)
    suite["aimlapi"].chat_answers.append("Sure! Here is your storyboard: scene one...")

    manifest = await run_story(sim_settings, story, out)

    assert chats(suite) == 2, "the invalid answer, then the repair round"
    repair = suite["aimlapi"].requests[-1]["body"]["messages"][-1]["content"]
    assert "not a valid plan: the answer holds no JSON object" in repair
    assert len(manifest["shots"]) == 6, "2 beats x 3 key actions"
    assert {s["beat"] for s in manifest["shots"]} == {1, 2}
    assert Decimal(str(manifest["cost_usd"])) > 0, "the planner's tokens are priced"

    again = await run_story(sim_settings, story, out)
    assert chats(suite) == 2, "an unchanged re-run asks the model nothing"
    assert again["cost_usd"] == manifest["cost_usd"]

    written = tmp_path / "plan.yaml"
    view = await preview_story(sim_settings, story)
    write_plan(story, view.planned.story, written)
    assert chats(suite) == 2
    assert "beats:" in written.read_text() and "video_role:" in written.read_text()
    reread = parse_story(written.read_text(), name="plan.yaml")
    assert plan_story(reread) == plan_story(view.planned.story), "it runs as planned"


async def test_two_invalid_answers_are_one_clear_error_and_are_not_reused(
    tmp_path: Path, sim_settings: Settings, suite: SimulatorSuite
) -> None:
    story = tmp_path / "story.yaml"
    story.write_text(STORY)
    suite["aimlapi"].chat_answers.extend(
        ["no plan today", '{"beats": [{"title": "one", "shots": [{"action": "x"}]}]}']
    )

    with pytest.raises(ProviderJobError) as caught:
        await preview_story(sim_settings, story)

    message = str(caught.value)
    assert "aimlapi:gpt-4o gave no valid plan after one repair round" in message
    assert "asked for 2 beats, got 1" in message and "\n" not in message
    assert chats(suite) == 2

    view = await preview_story(sim_settings, story, RunOptions())
    assert chats(suite) == 3, "the rejected answers are asked again, not reused"
    assert len(view.shots) == 6


@pytest.mark.parametrize(
    ("planner", "sim"),
    [
        ("openai:gpt-4o-mini", "openai"),
        ("llm:gpt-4o", "openai"),
        ("modelslab:meta-llama-3-8B-instruct", "modelslab"),
        ("gemini-2.5-flash", "gemini"),
    ],
    ids=["openai", "local-openai-compatible", "modelslab-llm", "gemini"],
)
async def test_every_chat_provider_plans_through_its_simulator(
    tmp_path: Path, settings: Settings, planner: str, sim: str
) -> None:
    async with serve_simulators(
        SimConfig(latency=0.05),
        providers=["openai", "modelslab", "gemini"],
        files_dir=tmp_path / "sim",
    ) as suite:
        openai = suite.provider_settings("openai")
        local = openai.model_copy(update={"base_url": f"{openai.base_url}/v1"})
        providers = {
            "openai": openai,
            "llm": local,
            "modelslab": suite.provider_settings("modelslab"),
            "gemini": suite.provider_settings("gemini"),
        }
        cfg = settings.model_copy(update={"providers": providers})
        story = tmp_path / "story.yaml"
        story.write_text(STORY)

        view = await preview_story(cfg, story, RunOptions(planner=planner))

        assert view.planned.planner.endswith(planner) and len(view.shots) == 6
        asked = suite[sim].requests[-1]
        assert asked["path"].endswith(("/chat/completions", ":generateContent"))
        body = asked["body"]
        json_mode = body.get("response_format") or body.get("generationConfig")
        assert json_mode in ({"type": "json_object"}, {"responseMimeType": "application/json"})
        assert sum(suite[sim].submissions.values()) == 1
        if planner.startswith(("openai:", "gemini")):
            assert view.planned.cost_usd is not None and view.planned.cost_usd > 0


async def test_planning_over_the_budget_asks_nothing(
    tmp_path: Path, sim_settings: Settings, suite: SimulatorSuite
) -> None:
    story = tmp_path / "story.yaml"
    story.write_text(STORY)
    with pytest.raises(BudgetExceeded, match="planning with aimlapi:gpt-4o is estimated"):
        await run_story(sim_settings, story, tmp_path / "out", budget_usd=Decimal("0.001"))
    assert chats(suite) == 0
