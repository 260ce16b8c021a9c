"""``storyreel serve --no-jobs`` and ``storyreel worker`` as separate processes on one
PostgreSQL: the API process has no provider key and runs nothing; the worker, which holds
the fal key, runs the job against the fal simulator; the API serves the result."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from storyreel.testing.serve import free_port

from .helpers import cli_env, spawn

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _exports(process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    out: dict[str, str] = {}
    while not any(k.endswith("API_KEY") for k in out):
        line = process.stdout.readline()
        assert line, "the simulators stopped"
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").strip().partition("=")
            out[key] = value
    return out


def _wait_healthy(base: str, process: subprocess.Popen[str]) -> dict[str, object]:
    for _ in range(600):
        try:
            response = httpx.get(f"{base}/api/v1/health", timeout=1)
            if response.status_code == 200:
                return response.json()  # type: ignore[no-any-return]
        except httpx.HTTPError:
            pass
        assert process.poll() is None, process.stdout.read() if process.stdout else "died"
        time.sleep(0.1)
    raise AssertionError("the API never answered")


def test_api_queues_and_a_worker_with_the_key_runs(tmp_path: Path, postgres_url: str) -> None:
    sim_port, api_port = free_port(), free_port()
    plain = cli_env(tmp_path / "sim-data")
    sims = spawn(
        "simulate",
        "--port",
        str(sim_port),
        "--provider",
        "fal",
        "--latency",
        "0.2",
        env=plain,
        cwd=tmp_path,
    )
    processes = [sims]
    try:
        fal = _exports(sims)
        shared = cli_env(tmp_path / "data", STORYREEL_DATABASE_URL=postgres_url)
        api = spawn("serve", "--no-jobs", "--port", str(api_port), env=shared, cwd=tmp_path)
        processes.append(api)
        base = f"http://127.0.0.1:{api_port}"
        assert _wait_healthy(base, api)["jobs"] == "queue"
        made = httpx.post(
            f"{base}/api/v1/jobs",
            json={"model": "fal:fal-ai/flux-2-pro", "prompt": "a lighthouse at dusk"},
            timeout=30,
        )
        assert made.status_code == 202, made.text  # no fal key in this process
        job_id = made.json()["id"]
        time.sleep(1)
        assert httpx.get(f"{base}/api/v1/jobs/{job_id}").json()["status"] == "queued"
        processes.append(spawn("worker", env=shared | fal, cwd=tmp_path))
        job: dict[str, object] = {}
        for _ in range(600):
            job = httpx.get(f"{base}/api/v1/jobs/{job_id}", timeout=10).json()
            if job["status"] in ("succeeded", "failed", "canceled"):
                break
            time.sleep(0.2)
        assert job["status"] == "succeeded", job
        output = job["outputs"][0]  # type: ignore[index]
        image = httpx.get(f"{base}{output['url']}", timeout=10)
        assert image.status_code == 200 and image.headers["content-type"].startswith("image/")
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
