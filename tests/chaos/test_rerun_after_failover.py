"""A story that finished through failover, run again: nothing is bought again.

Every fal job fails (an outage: ``runner_disconnected``), so each panel and clip fails over
within its model family (Nano Banana Pro on Gemini, Veo 3.1 Fast on Replicate), and the run
still finishes. Re-running the same command with fal healthy must reuse the successors:
zero new submissions at any provider and no new job rows. Before the fix, the failed fal
jobs were not reusable and the re-run bought every shot again on fal.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from PIL import Image

from storyreel.media.images import image_to_png
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from tests.e2e.helpers import cli_env, query, storyreel

pytestmark = pytest.mark.slow

STORY = """
title: Rerun after failover
characters:
  - {name: Mira, description: a young woman with long red hair, references: [mira.png]}
beats:
  - setting: harbour at dusk
    shots:
      - {action: Mira runs along the wall, characters: [Mira], duration: 2}
      - {action: Mira climbs the stairs, characters: [Mira], duration: 2}
      - {action: Mira lights the lamp, characters: [Mira], duration: 2}
render:
  image_model: nano-banana-pro
  video_model: veo31-fast
  width: 320
  height: 180
  fps: 8
  transition_frames: 2
"""


def submissions(suite: SimulatorSuite) -> dict[str, int]:
    return {name: sum(sim.submissions.values()) for name, sim in suite.sims.items()}


async def test_a_rerun_after_failovers_buys_nothing(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(STORY)
    (tmp_path / "mira.png").write_bytes(image_to_png(Image.new("RGB", (256, 256), "red")))
    async with serve_simulators(
        SimConfig(latency=0.2, video_latency=0.3), files_dir=tmp_path / "sim-files"
    ) as suite:
        suite["fal"].own_fail_rate = 1.0
        data = tmp_path / "data"
        env = cli_env(data, **suite.env())
        first = await asyncio.to_thread(
            storyreel, "story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path
        )
        assert first.returncode == 0, first.stdout + first.stderr
        manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
        switches = manifest["failovers"]
        assert len(switches) == 6, switches
        assert {s["reason"] for s in switches} == {"provider_down"}
        assert {s["to_model"] for s in switches} == {
            "gemini:gemini-3-pro-image-preview",
            "replicate:google/veo-3.1-fast",
        }
        assert "failover: fal:fal-ai/nano-banana-pro/edit (provider_down) -> gemini:" in (
            first.stdout
        )
        bought = submissions(suite)
        rows = query(data, "SELECT count(*) FROM jobs")

        suite["fal"].own_fail_rate = 0.0
        again = await asyncio.to_thread(
            storyreel, "story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert submissions(suite) == bought
        assert query(data, "SELECT count(*) FROM jobs") == rows
