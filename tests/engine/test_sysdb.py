"""What a job costs the engine: DBOS's SQLite file in WAL mode with synchronous=NORMAL,
only the queues of providers usable here polled, two steps for a job done at its first
poll, no durable wait for a short one, and a learned latency that does not grow with our
own download time."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import dbos._dbos as dbos_internals
import pytest
from dbos import DBOS
from sqlalchemy import text

from storyreel.config import Settings
from storyreel.engine import jobs, outputs, sysdb
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import submit_job, wait_job
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task


def sketch(seed: int) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE,
        model="sketch:previz",
        prompt="a gate",
        width=320,
        height=180,
        seed=seed,
    )


async def test_dbos_sqlite_file_is_wal_with_normal_sync(settings: Settings) -> None:
    async with Engine(settings):
        instance = dbos_internals._dbos_global_instance
        assert instance is not None
        with instance._sys_db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        mode = sqlite3.connect(settings.data_path / "dbos.db").execute("PRAGMA journal_mode")
        assert mode.fetchone() == ("wal",)


async def test_only_queues_of_usable_providers_are_polled(settings: Settings) -> None:
    async with Engine(settings) as engine:
        instance = dbos_internals._dbos_global_instance
        assert instance is not None
        listening = instance._listening_queues
        assert listening is not None
        assert "storyreel.sketch" in listening
        assert "storyreel.fal" not in listening  # no key here: nothing of it can run
        ScriptedProvider.reset()
        await engine.add_provider(ScriptedProvider)
        assert "storyreel.scripted" in listening
        job = await submit_job(
            GenerationRequest(task=Task.TEXT_TO_IMAGE, model="scripted:test", prompt="p")
        )
        assert (await wait_job(job.id))["status"] == "succeeded"


async def test_a_job_done_at_its_first_poll_makes_two_steps(engine: Engine) -> None:
    """The poll that sees the job done fetches and finalizes it: no download step."""
    job = await submit_job(sketch(1))
    assert (await wait_job(job.id))["status"] == "succeeded"
    steps = await DBOS.list_workflow_steps_async(job.id)
    assert [s["function_name"] for s in steps] == ["storyreel.submit", "storyreel.poll"]


async def test_a_wait_before_a_poll_without_webhooks_is_no_durable_step(tmp_path: Path) -> None:
    """Without webhooks a wait before a poll, however long (here 2.5 s, the first poll of
    a model with no figure), is slept in memory: no ``DBOS.recv`` and its durable sleep
    (two checkpoints, and a notification query every 0.1 s while it waits)."""
    ScriptedProvider.reset()
    settings = Settings(data_dir=tmp_path, poll_interval=2.5, queue_poll_interval=0.05)
    async with Engine(settings, providers=[ScriptedProvider]):
        job = await submit_job(
            GenerationRequest(task=Task.TEXT_TO_IMAGE, model="scripted:test", prompt="p")
        )
        assert (await asyncio.wait_for(wait_job(job.id), 30))["status"] == "succeeded"
        steps = [s["function_name"] for s in await DBOS.list_workflow_steps_async(job.id)]
    assert steps == ["storyreel.submit", "storyreel.poll"], steps  # no DBOS.recv, no sleep


async def test_a_replayed_wait_sleeps_only_what_is_left_of_it() -> None:
    """The deadline comes from a step's clock: a replay long after it sleeps nothing."""
    from storyreel.engine.workflows import _sleep_until

    started = time.monotonic()
    await _sleep_until(time.time() - 60.0, "k", "replayed", 0.0)
    assert time.monotonic() - started < 0.05
    await _sleep_until(time.time() + 0.3, "k", "live", 0.0)
    assert 0.25 <= time.monotonic() - started < 1.0


async def test_a_slow_download_does_not_count_as_the_models_latency(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The latency the next jobs are scheduled by ends when a poll saw the job done."""
    describe = outputs._describe

    def slow(*args: Any) -> dict[str, Any]:
        import time

        time.sleep(1.0)
        return describe(*args)

    monkeypatch.setattr(outputs, "_describe", slow)
    job = await submit_job(sketch(2))
    assert (await asyncio.wait_for(wait_job(job.id), 30))["status"] == "succeeded"
    row = await jobs.get_job(rt.db, job.id)
    assert row.finished_at is not None and row.submit_started_at is not None
    assert (row.finished_at - row.submit_started_at).total_seconds() < 0.9


def test_prepare_puts_a_new_file_in_wal(tmp_path: Path) -> None:
    from storyreel.engine import sysdb

    sysdb.prepare(f"sqlite:///{tmp_path / 'sub' / 'dbos.db'}")
    mode = sqlite3.connect(tmp_path / "sub" / "dbos.db").execute("PRAGMA journal_mode")
    assert mode.fetchone() == ("wal",)
    sysdb.prepare("postgresql://nobody@127.0.0.1/none")  # not SQLite: nothing to do


async def test_a_new_database_has_its_queues_taken_from_the_start(settings: Settings) -> None:
    """DBOS's queue manager lists queues at launch and then once a second: queues made
    after launch (always, on a new database) waited up to a second for their first job.
    They are declared before launch, so a worker polls each as soon as the engine runs."""
    assert not (settings.data_path / "dbos.db").exists()
    async with Engine(settings):
        workers = {thread.name for thread in threading.enumerate()}
        assert "queue-worker-storyreel.sketch" in workers


def test_only_a_sqlite_file_not_yet_made_is_fresh(tmp_path: Path) -> None:
    (tmp_path / "old.db").write_bytes(b"")
    assert sysdb.is_fresh(f"sqlite:///{tmp_path / 'new.db'}")
    assert not sysdb.is_fresh(f"sqlite:///{tmp_path / 'old.db'}")
    assert not sysdb.is_fresh("postgresql+psycopg://u@127.0.0.1/db")
    assert not sysdb.is_fresh("sqlite:///:memory:")


class _CountingSystemDatabase:
    """Stands for DBOS's ``SystemDatabase``: counts the version queries a poller makes."""

    def __init__(self) -> None:
        self.queries = 0

    def _is_latest_version(self, app_version: str, c: Any = None) -> bool:
        self.queries += 1
        return app_version == "v2"


def test_the_version_check_is_asked_once_per_interval() -> None:
    system_database = _CountingSystemDatabase()
    sysdb.cache_version_check(system_database, seconds=60.0)
    sysdb.cache_version_check(system_database, seconds=60.0)  # installed once
    answers = [system_database._is_latest_version("v2") for _ in range(50)]
    assert answers == [True] * 50
    assert system_database._is_latest_version("v1", object()) is False
    assert system_database.queries == 2  # one per version asked about


def test_a_version_check_older_than_its_interval_is_asked_again() -> None:
    system_database = _CountingSystemDatabase()
    sysdb.cache_version_check(system_database, seconds=0.0)
    for _ in range(3):
        system_database._is_latest_version("v2")
    assert system_database.queries == 3


async def test_the_running_engine_checks_the_version_through_the_cache(settings: Settings) -> None:
    async with Engine(settings):
        instance = dbos_internals._dbos_global_instance
        assert instance is not None
        assert getattr(instance._sys_db._is_latest_version, "storyreel_cached", False)
