"""Kill -9 a bulk in the middle, run the same command again, and check seed 004's file
names, ``index.csv``, and that the provider was sent each video exactly once.

The fal simulator's clips take long enough that the kill lands with some videos
downloaded and others queued, submitted or rendering. The simulator's own record of the
requests it accepted (``sim.jobs``: each billed submit with its body) is the witness: one
submit per image and prompt, no more.
"""

from __future__ import annotations

import asyncio
import csv
import re
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig
from tests.bulk.helpers import make_images, make_prompts
from tests.chaos.harness import KILLED

from .helpers import cli_env, query, spawn

pytestmark = pytest.mark.slow

IMAGES, PROMPTS = 3, 2
JOBS = IMAGES * PROMPTS
ARGS = ("bulk", "prompts.txt", "--images-dir", "imgs", "--model", "kling", "--out", "dl")
SEED_NAME = re.compile(r"^job_([0-9A-Z]{26})_kling_([a-z0-9_]+)\.mp4$")


async def kill_midway(tmp_path: Path, env: dict[str, str]) -> int:
    """Start the bulk; SIGKILL it once some but not all videos are done."""
    data = Path(env["STORYREEL_DATA_DIR"])
    run = spawn(*ARGS, env=env, cwd=tmp_path)
    deadline = time.monotonic() + 120
    done = 0
    try:
        while time.monotonic() < deadline and run.poll() is None:
            done = len(query(data, "SELECT id FROM jobs WHERE status = 'succeeded'"))
            if 1 <= done < JOBS:
                break
            await asyncio.sleep(0.05)
        assert run.poll() is None, run.stdout.read() if run.stdout else ""
        run.send_signal(signal.SIGKILL)
    finally:
        output, _ = await asyncio.to_thread(run.communicate, timeout=30)
    assert run.returncode == KILLED, output
    assert 1 <= done < JOBS, f"killed with {done} of {JOBS} done:\n{output}"
    assert not (tmp_path / "dl" / "index.csv").exists(), "the index is written at the end"
    return done


async def test_a_killed_bulk_resumes_with_nothing_bought_twice(tmp_path: Path) -> None:
    make_images(tmp_path / "imgs", IMAGES)
    make_prompts(tmp_path / "prompts.txt", ["Camera slowly zooms in", "The subject smiles"])
    data = tmp_path / "data"
    async with serve_simulators(
        SimConfig(latency=0.2, video_latency=1.5), providers=["fal"]
    ) as suite:
        env = cli_env(data, **suite.env(), STORYREEL_PROVIDERS__FAL__CONCURRENCY="2")
        await kill_midway(tmp_path, env)
        rerun = spawn(*ARGS, env=env, cwd=tmp_path)
        output, _ = await asyncio.to_thread(rerun.communicate, timeout=180)
        assert rerun.returncode == 0, output
        assert "Traceback" not in output
        accepted = list(suite["fal"].jobs.values())
        billed = sum(suite["fal"].submissions.values())

    sent = Counter((job.body.get("prompt"), job.body.get("image_url")) for job in accepted)
    assert billed == len(accepted) == JOBS, sent
    assert all(n == 1 for n in sent.values()), f"sent twice: {sent}"
    rows = query(data, "SELECT id, status, submit_attempts, possibly_billed_twice FROM jobs")
    assert len(rows) == JOBS, rows
    assert {r[1] for r in rows} == {"succeeded"}, rows
    assert not any(r[3] for r in rows), rows

    files = sorted(p.name for p in (tmp_path / "dl").iterdir() if p.suffix == ".mp4")
    assert len(files) == JOBS, (files, output)
    named = [SEED_NAME.match(f) for f in files]
    assert all(named), files
    assert {m.group(1) for m in named if m} == {r[0] for r in rows}
    assert {m.group(2) for m in named if m} == {"camera_slowly_zooms_in", "the_subject_smiles"}
    with (tmp_path / "dl" / "index.csv").open(newline="", encoding="utf-8") as handle:
        index = list(csv.DictReader(handle))
    assert [(r["image"], r["prompt_number"]) for r in index] == [
        (f"img{i:02d}.png", str(p)) for i in range(IMAGES) for p in (1, 2)
    ]
    assert sorted(r["file"] for r in index) == files
    assert {r["status"] for r in index} == {"succeeded"}
    leftovers = [p for p in (tmp_path / "dl").iterdir() if p.name.startswith(".tmp-")]
    assert not leftovers
