"""A hundred-shot story (two hundred paid jobs) killed at random crash points until it
finishes: nothing lost, nothing half-written, nothing bought twice.

Every run arms every crash point with a small probability, from a generator seeded per
run, so the kills land at different places each time (a submit, a poll, a download, the
assembly, the export) while many jobs are in flight at once. After at most ``CHAOS_RUNS``
killed runs, one clean run finishes the story.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from storyreel.media.images import image_to_png
from storyreel.testing.chaos import POINTS
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig
from tests.e2e.helpers import cli_env, query

from .harness import KILLED, assert_nothing_lost_or_half_written, billed, flagged_twice, run_cli

pytestmark = pytest.mark.slow

SHOTS, FPS, TRANSITION, DURATION = 100, 4, 1, 2.0
CHAOS_RUNS = 8
PROBABILITY = {
    # a kill in most runs spread over the points: ~200 submits, ~300 polls, ~200
    # downloads, one assembly and 100 exported shots a run
    "before_submit": 0.02,
    "after_submit_before_handle": 0.02,
    "during_poll": 0.01,
    "during_download": 0.02,
    "during_assembly": 0.5,
    "during_export": 0.01,
}


def big_story() -> str:
    lines = [
        "title: Random crashes",
        "characters:",
        "  - {name: Mira, description: red hair, references: [mira.png]}",
        "beats:",
    ]
    for beat in range(2):
        lines += [f"  - setting: harbour, part {beat + 1}", "    shots:"]
        for n in range(1, SHOTS // 2 + 1):
            cast = ", characters: [Mira]" if n % 3 == 0 else ""
            lines.append(f"      - {{action: Wave {beat * 50 + n} breaks on the wall{cast}}}")
    lines.append(
        "render: {image_model: flux-2-pro, video_model: seedance-1-pro-fast, width: 160, "
        f"height: 90, fps: {FPS}, duration: {DURATION}, transition_frames: {TRANSITION}}}"
    )
    return "\n".join(lines) + "\n"


def spec(seed: int) -> str:
    return ",".join(f"{p}:random:{PROBABILITY[p]}:{seed}" for p in POINTS)


async def test_a_hundred_shots_killed_at_random_points_finish_exactly_once(
    tmp_path: Path,
) -> None:
    (tmp_path / "story.yaml").write_text(big_story())
    (tmp_path / "mira.png").write_bytes(image_to_png(Image.new("RGB", (128, 128), "red")))
    config = SimConfig(latency=0.05, video_latency=0.2)
    async with serve_simulators(config, files_dir=tmp_path / "sim") as suite:
        env = cli_env(
            tmp_path / "data",
            **suite.env(),
            STORYREEL_PROVIDERS__FAL__CONCURRENCY="12",
            STORYREEL_PROVIDERS__REPLICATE__CONCURRENCY="12",
        )
        started = time.monotonic()
        kills: list[str] = []
        finished = False
        for run in range(CHAOS_RUNS):
            code, output = await run_cli(tmp_path, env, crash=spec(1000 + run), limit=300)
            assert "Traceback" not in output, output
            assert code in (KILLED, 0), output
            if code == 0:
                finished = True
                break
            kills.append(output.rsplit("chaos: killed at ", 1)[-1].strip())
        if not finished:
            code, output = await run_cli(tmp_path, env, limit=300)
            assert code == 0, output
        seconds = time.monotonic() - started
        bought = billed(suite)
    assert len(kills) >= 3, f"only {kills} kills: the crash probabilities are too low"
    jobs = query(tmp_path / "data", "SELECT count(*) FROM jobs")[0][0]
    assert jobs == 2 * SHOTS
    with_mira = 2 * (SHOTS // 2 // 3)  # every third shot of each beat
    assert bought["fal"] == {
        "fal-ai/flux-2-pro/edit": with_mira,
        "fal-ai/flux-2-pro": SHOTS - with_mira,
    }, bought
    assert bought["replicate"] == {"bytedance/seedance-1-pro-fast": SHOTS}, bought
    assert not flagged_twice(tmp_path / "data")
    assert_nothing_lost_or_half_written(
        tmp_path,
        tmp_path / "data",
        shots=SHOTS,
        durations=[DURATION] * SHOTS,
        fps=FPS,
        transition=TRANSITION,
    )
    print(
        f"random crashes: {len(kills)} kills ({', '.join(kills)}), {jobs} jobs, "
        f"finished in {seconds:.1f} s"
    )
