"""``storyreel worker`` prints one line per job it starts and one per job it finishes."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
from dbos import DBOSClient, EnqueueOptions

from storyreel.config import Settings
from storyreel.engine import jobs
from storyreel.engine.runtime import Runtime
from storyreel.engine.workflows import WORKFLOW_NAME, queue_name
from storyreel.vocabulary import GenerationRequest, Task
from tests.e2e.helpers import cli_env, query, spawn

pytestmark = pytest.mark.slow


async def _enqueue(
    settings: Settings, prompts: list[str], model: str = "sketch:previz", **fields: int
) -> list[str]:
    """Jobs queued from this process, which runs none of them: only the worker can."""
    rt = Runtime.build(settings)
    client = DBOSClient(system_database_url=settings.system_database_url)
    ids = []
    size = {"width": 160, "height": 90} | fields
    try:
        for prompt in prompts:
            req = GenerationRequest.model_validate(
                {"task": Task.TEXT_TO_IMAGE, "model": model, "prompt": prompt} | size
            )
            job, _ = await jobs.create_job(rt.db, req)
            options: EnqueueOptions = {
                "workflow_name": WORKFLOW_NAME,
                "queue_name": queue_name(req.provider),
                "workflow_id": job.id,
            }
            await client.enqueue_async(options, job.id)
            ids.append(job.id)
    finally:
        client.destroy()
        await rt.db.close()
    return ids


def test_worker_prints_a_line_per_job_started_and_finished(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = cli_env(data, STORYREEL_PROVIDERS__SKETCH__LATENCY="1")
    worker = spawn("worker", env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 90
        while not query(data, "SELECT id FROM executors") and time.monotonic() < deadline:
            time.sleep(0.2)
        ids = asyncio.run(_enqueue(Settings(data_dir=data), ["a lamp", "a storm"]))
        done: list[tuple[str]] = []
        while len(done) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.3)
            done = query(data, "SELECT id FROM jobs WHERE status = 'succeeded'")
        time.sleep(1.5)  # the worker notices a finished job within half a second
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert len(done) == len(ids), output
    lines = output.splitlines()
    for job_id in ids:
        assert f"started  {job_id} text-to-image on sketch:previz" in lines, output
        assert any(line.startswith(f"finished {job_id} succeeded") for line in lines), output


def _wait_executors(data: Path, count: int, deadline: float) -> None:
    while len(query(data, "SELECT id FROM executors")) < count and time.monotonic() < deadline:
        time.sleep(0.2)


def test_only_a_worker_started_with_local_takes_local_jobs(tmp_path: Path) -> None:
    """The GPU host's switch: ``STORYREEL_LOCAL__WORKER=false`` (as an API host, or any
    process on PostgreSQL) leaves local jobs queued; ``worker --local`` renders them."""
    pytest.importorskip("diffusers")
    from storyreel.testing.tiny_diffusers import build_tiny_sd

    data = tmp_path / "data"
    build_tiny_sd(data / "models" / "tiny")
    env = cli_env(
        data,
        STORYREEL_LOCAL__WORKER="false",
        STORYREEL_LOCAL__DEVICE="cpu",
        OMP_NUM_THREADS="1",  # a shared test machine
    )
    deadline = time.monotonic() + 180
    plain = spawn("worker", env=env, cwd=tmp_path)
    try:
        _wait_executors(data, 1, deadline)
        [job_id] = asyncio.run(
            _enqueue(
                Settings(data_dir=data), ["a red cat"], "local:tiny", width=64, height=64, steps=2
            )
        )
        sketch = asyncio.run(_enqueue(Settings(data_dir=data), ["a lamp"]))
        while (
            not query(
                data, f"SELECT id FROM jobs WHERE id = '{sketch[0]}' AND status = 'succeeded'"
            )
            and time.monotonic() < deadline
        ):
            time.sleep(0.3)
        time.sleep(2)  # many queue polls (0.1 s apart): none may take the local job
        assert query(data, f"SELECT status FROM jobs WHERE id = '{job_id}'") == [("queued",)]
    finally:
        plain.send_signal(signal.SIGTERM)
        plain_out, _ = plain.communicate(timeout=60)
    assert "every queue but local" in plain_out, plain_out
    hosting = spawn("worker", "--local", env=env, cwd=tmp_path)
    try:
        status: list[tuple[str]] = []
        while status != [("succeeded",)] and time.monotonic() < deadline:
            time.sleep(0.3)
            status = query(data, f"SELECT status FROM jobs WHERE id = '{job_id}'")
    finally:
        hosting.send_signal(signal.SIGTERM)
        hosting_out, _ = hosting.communicate(timeout=60)
    assert status == [("succeeded",)], hosting_out
    assert "every provider queue" in hosting_out
    assert f"started  {job_id} text-to-image on local:tiny" in hosting_out.splitlines()
