"""Kill -9 the story run the instant a paid submit reaches the provider, again and again,
then let it finish: every panel and clip is billed exactly once.

The fal simulator holds each billed submit's answer back (``answer_delay``), so the kill
lands while the request is in flight: the provider has taken the job and the client never
learns its id. On resume the engine asks fal's request history (``find_submitted``) and
adopts the request instead of buying it again. Before the fix, each kill bought one more
generation (issue: "a kill while a submit is in flight buys it twice").
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from PIL import Image

from storyreel.media.images import image_to_png
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from tests.e2e.helpers import cli_env, query, spawn

pytestmark = pytest.mark.slow

SHOTS = 4
SHEETS = 1  # Tomas has no reference: his character sheet is drawn first, then used
STORY = """
title: Kill in submit
characters:
  - {name: Mira, description: a young woman with long red hair, references: [mira.png]}
  - {name: Tomas, description: an old keeper with a white beard}
beats:
  - setting: harbour at dusk
    shots:
      - {action: Mira runs along the wall, characters: [Mira], duration: 2}
      - {action: Tomas lights the lamp, characters: [Tomas], duration: 2}
      - {action: Mira and Tomas crank the lens, characters: [Mira, Tomas], duration: 2}
      - {action: The storm rolls in over the sea, duration: 2}
render:
  image_model: flux-2-pro
  video_model: kling
  width: 320
  height: 180
  fps: 8
  transition_frames: 2
"""


def billed(suite: SimulatorSuite) -> dict[str, int]:
    return dict(suite["fal"].submissions)


async def kill_when_a_submit_is_in_flight(
    suite: SimulatorSuite, tmp_path: Path, env: dict[str, str], *, model_part: str
) -> None:
    """Start the run; SIGKILL it as soon as a new billed submit of a model whose id
    contains ``model_part`` reaches the simulator (its answer is still held back)."""
    before = billed(suite)
    run = spawn("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            now = billed(suite)
            if any(model_part in m and now[m] > before.get(m, 0) for m in now):
                run.send_signal(signal.SIGKILL)
                break
            assert run.poll() is None, run.stdout.read() if run.stdout else ""
            await asyncio.sleep(0.01)
        else:
            pytest.fail("no submit reached the simulator in time")
    finally:
        run.kill()
        run.communicate(timeout=30)


async def test_kills_during_submits_never_buy_twice(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(STORY)
    (tmp_path / "mira.png").write_bytes(image_to_png(Image.new("RGB", (256, 256), "red")))
    config = SimConfig(latency=0.3, video_latency=0.5)
    async with serve_simulators(config, files_dir=tmp_path / "sim-files") as suite:
        suite["fal"].answer_delay = 3.0
        data = tmp_path / "data"
        env = cli_env(data, **suite.env(), STORYREEL_PROVIDERS__FAL__CONCURRENCY="2")
        kills = [("flux-2-pro", 2), ("kling", 2)]
        for part, times in kills:
            for _ in range(times):
                await kill_when_a_submit_is_in_flight(suite, tmp_path, env, model_part=part)
        suite["fal"].answer_delay = 0.0
        run = spawn("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
        output, _ = await asyncio.to_thread(run.communicate, timeout=180)
        assert run.returncode == 0, output
        assert "Traceback" not in output

        counts = billed(suite)
        panels = sum(n for m, n in counts.items() if "flux-2-pro" in m)
        clips = sum(n for m, n in counts.items() if "kling" in m)
        assert (panels, clips) == (SHOTS + SHEETS, SHOTS), counts
        # The alias bound per request: Tomas's sheet and the shot without characters (4)
        # went to text-to-image; shots 1-3 carry a reference (Mira's or Tomas's sheet) and
        # went to the edit endpoint.
        assert counts.get("fal-ai/flux-2-pro") == 1 + SHEETS, counts
        assert counts.get("fal-ai/flux-2-pro/edit") == 3, counts
        rows = query(data, "SELECT request_hash, status, possibly_billed_twice FROM jobs")
        hashes = [r[0] for r in rows]
        assert len(hashes) == len(set(hashes)) == 2 * SHOTS + SHEETS, rows
        assert {r[1] for r in rows} == {"succeeded"} and not any(r[2] for r in rows)
        manifest: dict[str, Any] = json.loads((tmp_path / "out" / "manifest.json").read_text())
        assert len(manifest["shots"]) == SHOTS
        async with httpx2.AsyncClient() as client:
            stats = (await client.get(f"{suite.base_url}/_sim/stats")).json()["fal"]
        assert stats["submissions"] == 2 * SHOTS + SHEETS
