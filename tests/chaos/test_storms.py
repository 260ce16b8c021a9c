"""Storms: a burst of 429s with Retry-After and a run of 5xx outages on the same provider.
The run rides them out, shows the user why it is waiting instead of looking hung, and buys
every panel and clip exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from storyreel.media.images import image_to_png
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig
from tests.e2e.helpers import cli_env

from .harness import assert_nothing_lost_or_half_written, billed, run_cli
from .test_crash_points import DURATION, FPS, SHOTS, TRANSITION, story

pytestmark = pytest.mark.slow


async def test_a_429_storm_is_ridden_out_and_shown(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(story("flux-2-pro", "kling"))
    (tmp_path / "mira.png").write_bytes(image_to_png(Image.new("RGB", (256, 256), "red")))
    async with serve_simulators(
        SimConfig(latency=0.1, video_latency=0.2), files_dir=tmp_path / "sim"
    ) as suite:
        suite["fal"].burst_429 = 12
        env = cli_env(
            tmp_path / "data",
            **suite.env(),
            STORYREEL_RETRY_BASE_DELAY="0.2",
            STORYREEL_PROVIDERS__FAL__CONCURRENCY="4",
        )
        code, output = await run_cli(tmp_path, env)
        assert code == 0, output
        assert "Traceback" not in output
        assert "fal: rate limited, retrying in" in output
        assert suite["fal"].burst_429 == 0, "the storm reached the engine"
        counts = billed(suite)["fal"]
        assert sum(n for m, n in counts.items() if "flux-2-pro" in m) == SHOTS
        assert sum(n for m, n in counts.items() if "kling" in m) == SHOTS
        assert_nothing_lost_or_half_written(
            tmp_path,
            tmp_path / "data",
            shots=SHOTS,
            durations=[DURATION] * SHOTS,
            fps=FPS,
            transition=TRANSITION,
        )
