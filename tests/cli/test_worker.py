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


async def _enqueue(settings: Settings, prompts: list[str]) -> list[str]:
    """Jobs queued from this process, which runs none of them: only the worker can."""
    rt = Runtime.build(settings)
    client = DBOSClient(system_database_url=settings.system_database_url)
    ids = []
    try:
        for prompt in prompts:
            req = GenerationRequest(
                task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt=prompt, width=160, height=90
            )
            job, _ = await jobs.create_job(rt.db, req)
            options: EnqueueOptions = {
                "workflow_name": WORKFLOW_NAME,
                "queue_name": queue_name("sketch"),
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
