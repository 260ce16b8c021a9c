"""Kill -9 in the middle of a story run, resume, and check nothing was lost or bought twice.

The sketch provider is slowed with its ``latency`` setting so the kill lands while panels
are in flight. Resuming is done two ways: re-running the same command, and starting
``storyreel worker``. Ctrl-C and SIGTERM stop the run cleanly and resume the same way.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from storyreel.media.probe import probe_video

from .helpers import cli_env, query, spawn, storyreel

pytestmark = pytest.mark.slow

SHOTS = 6
STORY = (
    """
title: Crash test
characters:
  - {name: Ada, description: short black hair and a yellow coat}
beats:
  - setting: city street at night, rain
    shots:
"""
    + "".join(
        f"      - {{action: Ada walks past shop window {n}., characters: [Ada]}}\n"
        for n in range(1, SHOTS + 1)
    )
    + """
render: {width: 320, height: 180, fps: 12, duration: 1, transition_frames: 4}
"""
)

# Ada has no reference image, so the run first draws her character sheet (text-to-image)
# and then every panel with it as a reference (reference-to-image): both are images.
PANELS = "task IN ('text-to-image', 'reference-to-image')"
SHEETS = 1


def slowed_env(data: Path) -> dict[str, str]:
    return cli_env(
        data,
        STORYREEL_PROVIDERS__SKETCH__LATENCY="1.5",
        STORYREEL_PROVIDERS__SKETCH__CONCURRENCY="2",
    )


def kill_mid_run(
    tmp_path: Path, env: dict[str, str], sig: signal.Signals = signal.SIGKILL
) -> set[str]:
    """Start a run, signal it once some but not all panels are done; return those jobs."""
    data = Path(env["STORYREEL_DATA_DIR"])
    run = spawn("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
    deadline = time.monotonic() + 120
    done: list[tuple[str]] = []
    while time.monotonic() < deadline and run.poll() is None:
        done = query(data, f"SELECT id FROM jobs WHERE {PANELS} AND status = 'succeeded'")
        if 2 <= len(done) < SHOTS:
            break
        time.sleep(0.05)
    assert run.poll() is None, (
        f"run ended before the kill: {run.stdout.read() if run.stdout else ''}"
    )
    run.send_signal(sig)
    output, _ = run.communicate(timeout=30)
    if sig is not signal.SIGKILL:
        assert run.returncode == 128 + sig, output
        assert "run the same command again to resume" in output
        assert "Traceback" not in output and "Asyncio task cancelled" not in output, output
    assert 2 <= len(done) < SHOTS
    assert not (tmp_path / "out" / "manifest.json").exists()
    return {row[0] for row in done}


def assert_finished_exactly_once(
    tmp_path: Path, data: Path, done_before: set[str], sig: signal.Signals = signal.SIGKILL
) -> None:
    """Every job made once. Only a kill -9 may cut a render short: the sketch renders
    inside its submit, and a render whose submit was in flight is rendered again on resume,
    free and into the same files (``engine/steps._reconcile``), never flagged as possibly
    billed twice; at most one per slot (concurrency 2). Ctrl-C and SIGTERM let a submit
    finish before the engine stops, so nothing is rendered twice."""
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    panel_jobs = {s["panel"]["job_id"] for s in manifest["shots"]}
    sheet_jobs = {r[0] for r in query(data, "SELECT id FROM jobs WHERE task = 'text-to-image'")}
    assert done_before <= panel_jobs | sheet_jobs, "a finished image was generated again"
    rows = query(
        data,
        "SELECT task, status, submit_attempts, request_hash, cost_usd, possibly_billed_twice "
        "FROM jobs",
    )
    assert len(rows) == 2 * SHOTS + SHEETS, "a panel and a clip per shot, a sheet, no more"
    assert {r[1] for r in rows} == {"succeeded"}
    again = [r for r in rows if r[2] != 1]
    cut_short = 2 if sig is signal.SIGKILL else 0
    assert len(again) <= cut_short and all(r[2] == 2 for r in again), rows
    assert all(float(r[4]) == 0 and not r[5] for r in rows), rows
    assert len({r[3] for r in rows}) == len(rows)
    video = probe_video(tmp_path / "out" / "story.mp4")
    assert video.frames == SHOTS * 12 + (SHOTS - 1) * 4


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_rerunning_the_command_finishes_without_regenerating(
    tmp_path: Path, sig: signal.Signals
) -> None:
    (tmp_path / "story.yaml").write_text(STORY)
    env = slowed_env(tmp_path / "data")
    done_before = kill_mid_run(tmp_path, env, sig)
    started = time.monotonic()
    rerun = storyreel("story", "run", "story.yaml", "--out", "out", env=env, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    print(f"resumed run finished in {time.monotonic() - started:.1f} s")
    assert_finished_exactly_once(tmp_path, tmp_path / "data", done_before, sig)


def test_a_worker_picks_up_the_killed_run(tmp_path: Path) -> None:
    (tmp_path / "story.yaml").write_text(STORY)
    data = tmp_path / "data"
    env = slowed_env(data)
    done_before = kill_mid_run(tmp_path, env)
    worker = spawn("worker", env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        manifest = tmp_path / "out" / "manifest.json"
        while not manifest.exists() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        assert manifest.exists(), "the worker did not finish the interrupted story"
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert "worker stopped" in output
    assert_finished_exactly_once(tmp_path, data, done_before)
