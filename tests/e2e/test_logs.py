"""The log tells a job's story as JSON lines, and never holds a secret.

A story runs through the simulators of three providers (fal, Replicate, Gemini, which
takes its key in a header or the URL) with ``--verbose``; the log file and everything
printed are searched for the simulators' API key."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from PIL import Image

from storyreel.media.images import image_to_png
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig
from tests.e2e.helpers import cli_env, storyreel

pytestmark = pytest.mark.slow

KEY = "sk-sim-7f3a9c2e1d"
STORY = """
title: Logged
characters:
  - {name: Mira, description: red hair, references: [mira.png]}
beats:
  - shots:
      - {action: Mira waves, characters: [Mira], duration: 2}
      - {action: The sea, duration: 2}
render: {image_model: %s, video_model: %s, width: 320, height: 180, fps: 8}
"""


@pytest.mark.parametrize(
    ("image", "video"),
    [("flux-2-pro", "replicate:google/veo-3.1-fast"), ("gemini:gemini-2.5-flash-image", "kling")],
)
async def test_every_transition_is_logged_and_no_key_is(
    tmp_path: Path, image: str, video: str
) -> None:
    (tmp_path / "story.yaml").write_text(STORY % (image, video))
    (tmp_path / "mira.png").write_bytes(image_to_png(Image.new("RGB", (256, 256), "red")))
    async with serve_simulators(
        SimConfig(latency=0.1, video_latency=0.2, api_key=KEY), files_dir=tmp_path / "sim"
    ) as suite:
        env = cli_env(tmp_path / "data", **suite.env())
        result = await asyncio.to_thread(
            storyreel, "-v", "story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path
        )
    log = (tmp_path / "data" / "logs" / "storyreel.log").read_text()
    assert result.returncode == 0, result.stdout + result.stderr
    assert KEY not in log and KEY not in result.stdout + result.stderr
    events = [json.loads(line) for line in log.splitlines()]
    jobs: dict[str, list[str]] = {}
    for event in events:
        if event.get("logger") == "storyreel.jobs":
            assert event["provider"] and event["timestamp"] and event["level"] == "info"
            jobs.setdefault(event["job_id"], []).append(event["event"])
    assert len(jobs) == 4, jobs
    for trail in jobs.values():
        assert trail[0] == "job created" and trail[-1] == "job succeeded", trail
        assert {"job submitting", "job submitted", "job polled"} <= set(trail), trail
    assert "job succeeded" in result.stderr  # --verbose shows the events too
