"""Running a story through the CLI, killed at named crash points, and checking what the
reliability issue promises once it is finally run to the end.

The simulators are served inside the test's event loop, so the CLI subprocess is always
awaited through ``asyncio.to_thread``: a blocking wait would freeze the very server it
talks to.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyreel.media.probe import probe_video
from storyreel.store.assets import AssetStore
from storyreel.testing.chaos import ENV_VAR
from storyreel.testing.simulators import SimulatorSuite
from tests.e2e.helpers import query, storyreel

KILLED = -9  # subprocess's return code for a child that died of SIGKILL


@dataclass
class Outcome:
    """What a killed-then-finished story run did, for the report table."""

    kills: int = 0
    runs: int = 0
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)


async def run_cli(
    tmp_path: Path, env: dict[str, str], *, crash: str | None = None, limit: float = 240
) -> tuple[int, str]:
    """One ``storyreel story run`` in a subprocess, crashing where ``crash`` says."""
    run_env = env | ({ENV_VAR: crash} if crash else {})
    result = await asyncio.to_thread(
        storyreel,
        "story",
        "run",
        "story.yaml",
        "--out",
        "out",
        env=run_env,
        cwd=tmp_path,
        timeout=limit,
    )
    return result.returncode, result.stdout + result.stderr


async def kill_then_finish(tmp_path: Path, env: dict[str, str], crashes: list[str]) -> Outcome:
    """Run once per crash spec, each of which must really kill the run (a spec that never
    fires would make the test vacuous), then once more without any: it must finish."""
    outcome = Outcome()
    started = time.monotonic()
    for spec in crashes:
        code, output = await run_cli(tmp_path, env, crash=spec)
        outcome.runs += 1
        outcome.outputs.append(output)
        assert code == KILLED, f"{spec}: the run was not killed (exit {code}):\n{output}"
        assert "Traceback" not in output, output
        outcome.kills += 1
    code, output = await run_cli(tmp_path, env)
    outcome.runs += 1
    outcome.outputs.append(output)
    outcome.seconds = time.monotonic() - started
    assert code == 0, output
    assert "Traceback" not in output, output
    return outcome


def billed(suite: SimulatorSuite) -> dict[str, Counter[str]]:
    """Every simulator's billed submissions, by model (only providers that saw any)."""
    return {name: Counter(sim.submissions) for name, sim in suite.sims.items() if sim.submissions}


def planned_frames(durations: list[float], fps: int, transition: int) -> int:
    """sum(round(d * fps)) + (n - 1) * transition: what assembly must produce."""
    return sum(round(d * fps) for d in durations) + (len(durations) - 1) * transition


def assert_nothing_lost_or_half_written(
    tmp_path: Path, data: Path, *, shots: int, durations: list[float], fps: int, transition: int
) -> dict[str, Any]:
    """Every shot made and exported, every stored asset whole, the video the planned length;
    returns the manifest."""
    out = tmp_path / "out"
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    assert [s["number"] for s in manifest["shots"]] == list(range(1, shots + 1))
    links = query(
        data,
        "SELECT s.number, p.status, c.status FROM shots s "
        "JOIN jobs p ON p.id = s.panel_job_id JOIN jobs c ON c.id = s.clip_job_id",
    )
    assert len(links) == shots, links
    assert {(p, c) for _, p, c in links} == {("succeeded", "succeeded")}, links
    for shot in manifest["shots"]:
        for kind in ("panel", "clip"):
            file = out / shot[kind]["file"]
            assert hashlib.sha256(file.read_bytes()).hexdigest() == shot[kind]["sha256"], file

    store = AssetStore(data / "assets")
    rows = query(data, "SELECT sha256, mime FROM assets")
    assert rows, "no asset rows"
    for sha, mime in rows:
        path = store.path(sha, mime)
        assert path.is_file(), f"asset row {sha[:12]} has no file"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, f"{path} is not whole"
    leftovers = [
        p
        for root in (data / "assets", out)
        for p in root.rglob("*")
        if p.name.startswith(".tmp-") or p.name.endswith(".part")
    ]
    assert not leftovers, f"half-written files left behind: {leftovers}"

    video = probe_video(out / "story.mp4")
    assert video.frames == planned_frames(durations, fps, transition)
    assert manifest["video"]["frames"] == video.frames
    return manifest


def flagged_twice(data: Path) -> Counter[str]:
    """Jobs recorded as possibly billed twice, by provider."""
    rows = query(data, "SELECT provider FROM jobs WHERE possibly_billed_twice")
    return Counter(provider for (provider,) in rows)


def flagged_extra_sends(data: Path) -> Counter[str]:
    """Sends beyond the first of the jobs flagged as possibly billed twice, by provider (at
    least one each): a job killed after the provider took it, resent and killed again
    after the provider took it again, was bought twice over and is one flagged job."""
    rows = query(data, "SELECT provider, submit_attempts FROM jobs WHERE possibly_billed_twice")
    extra: Counter[str] = Counter()
    for provider, attempts in rows:
        extra[provider] += max(1, int(attempts) - 1)
    return extra


def excess(bought: dict[str, Counter[str]], clean: dict[str, Counter[str]]) -> Counter[str]:
    """Submissions beyond a clean run's, by provider."""
    return Counter(
        {
            name: sum(bought.get(name, Counter()).values())
            - sum(clean.get(name, Counter()).values())
            for name in set(bought) | set(clean)
        }
    )
