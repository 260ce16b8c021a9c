"""Finishing a job that succeeded, inside the poll step that saw it done: the poll's
values ride on the finalizing UPDATE, finalizing twice changes nothing, an output stored
before keeps its first job, and a whole job costs few statements (counted, not timed)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine as SyncEngine

from storyreel.engine import finish, jobs
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import submit_job, wait_job
from storyreel.providers.types import JobState, RemoteArtifact
from storyreel.store.models import Asset, CostEntry, JobOutput
from storyreel.vocabulary import GenerationRequest, Task

#: App statements a sketch job done at its first poll makes: create (find, insert job,
#: insert estimate), start (read, record the attempt with its reservation, adopt the
#: handle), finish (read, asset, output, final cost, update), the latency lookup. Was 16.
APP_STATEMENTS_PER_JOB = 12
#: DBOS statements a job makes, its background threads' aside (queue polling grows with
#: wall time, not jobs): enqueue (2), two steps (4 each), the outcome (2), the result
#: (1), its waiter's share of status queries. Was 20 (three steps, a status read to make
#: the handle, a query at its end).
DBOS_STATEMENTS_PER_JOB = 15


def sketch(seed: int, tag: str = "gate") -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE,
        model="sketch:previz",
        prompt=f"a {tag}",
        width=320,
        height=180,
        seed=seed,
    )


@contextmanager
def counted() -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()

    def count(conn: Any, *_args: Any) -> None:
        thread = threading.current_thread().name
        if conn.dialect.is_async:
            counts["app"] += 1
        elif thread.startswith("dbos-executor") or thread == "MainThread":
            counts["dbos"] += 1  # a workflow's own: its start, steps, outcome, result
        else:
            counts["dbos, in the background"] += 1  # queue polling, sweeps: by the clock

    event.listen(SyncEngine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(SyncEngine, "before_cursor_execute", count)


async def test_a_job_costs_few_statements(engine: Engine) -> None:
    await wait_job((await submit_job(sketch(0, "warm"))).id)  # caches filled
    n = 12
    with counted() as counts:
        submitted = [await submit_job(sketch(i)) for i in range(n)]
        results = await asyncio.gather(*(wait_job(job.id) for job in submitted))
    assert all(r["status"] == "succeeded" for r in results)
    assert counts["app"] / n <= APP_STATEMENTS_PER_JOB, counts
    assert counts["dbos"] / n <= DBOS_STATEMENTS_PER_JOB, counts


async def test_the_done_poll_is_recorded_with_the_outputs(rt: Runtime) -> None:
    job = await submit_job(sketch(1))
    assert (await wait_job(job.id))["status"] == "succeeded"
    row = await jobs.get_job(rt.db, job.id)
    assert row.polls == 1 and row.progress == 1.0
    assert row.finished_at is not None and row.submit_started_at is not None
    assert [o.position for o in row.outputs] == [0]
    async with rt.db.session() as session:
        asset = await session.get(Asset, row.outputs[0].asset_sha256)
        kinds = (
            await session.execute(select(CostEntry.kind).where(CostEntry.job_id == job.id))
        ).scalars()
        assert sorted(kinds) == ["estimate", "final"]
    assert asset is not None and asset.source_job_id == job.id


async def test_finalizing_twice_changes_nothing(rt: Runtime) -> None:
    """A crash after the commit and before the checkpoint runs the step again."""
    job = await submit_job(sketch(2))
    first = await wait_job(job.id)
    again = await finish.finalize(job.id, [], seen={"polls": 1})
    assert again == {k: first[k] for k in ("status", "outputs", "job_id")}
    row = await jobs.get_job(rt.db, job.id)
    assert row.polls == 1 and len(row.outputs) == 1
    async with rt.db.session() as session:
        finals = await session.execute(
            select(func.count()).where(CostEntry.job_id == job.id, CostEntry.kind == "final")
        )
        assert finals.scalar_one() == 1


async def test_an_output_stored_before_keeps_its_first_job(rt: Runtime) -> None:
    first = await submit_job(sketch(3))
    done = await wait_job(first.id)
    sha = done["outputs"][0]
    second, _ = await jobs.create_job(rt.db, sketch(3), reuse=False)
    seen_at = datetime(2030, 1, 2, tzinfo=UTC)
    info = {"sha256": sha, "mime": "image/png", "size": 1}
    await jobs.adopt_handle(rt.db, second.id, {"provider": "sketch", "request_id": "x"})
    result = await finish.finalize(
        second.id, [info], seen={"polls": 1, "progress": 1.0, "finished_at": seen_at}
    )
    assert result["outputs"] == [sha]
    row = await jobs.get_job(rt.db, second.id)
    assert row.status == JobState.SUCCEEDED.value and row.polls == 1
    assert row.finished_at is not None
    assert row.finished_at.replace(tzinfo=UTC) == seen_at
    async with rt.db.session() as session:
        asset = await session.get(Asset, sha)
        outputs = await session.execute(select(JobOutput).where(JobOutput.job_id == second.id))
        assert len(outputs.scalars().all()) == 1
    assert asset is not None and asset.source_job_id == first.id and asset.size != 1


async def test_a_fetch_over_the_network_records_the_poll_first(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While outputs come over the network the job reads as seen done (running, with
    ``finished_at``), which progress displays show as downloading; then it succeeds with
    the poll counted once."""
    job, _ = await jobs.create_job(rt.db, sketch(4), reuse=False)
    await jobs.adopt_handle(rt.db, job.id, {"provider": "sketch", "request_id": "r"})
    during: list[tuple[str, bool, int]] = []

    class Remote:
        async def result(self, _handle: Any) -> list[RemoteArtifact]:
            return [RemoteArtifact(mime="image/png", url="https://cdn.example/out.png")]

    async def fetched(_artifact: RemoteArtifact, **_: Any) -> dict[str, Any]:
        row = await jobs.get_job(rt.db, job.id)
        during.append((row.status, row.finished_at is not None, row.polls))
        return {"sha256": "ab" * 32, "mime": "image/png", "size": 3}

    monkeypatch.setattr(rt, "provider", lambda _name: Remote())
    monkeypatch.setattr(finish, "store_artifact", fetched)
    handle = {"provider": "sketch", "request_id": "r", "data": {}}
    seen = {"polls": 1, "progress": 1.0, "finished_at": datetime.now(UTC)}
    done = await finish.fetch_and_finalize(job.id, handle, seen=seen)
    assert done["ok"] and done["outputs"] == ["ab" * 32]
    assert during == [(JobState.RUNNING.value, True, 1)]
    row = await jobs.get_job(rt.db, job.id)
    assert row.status == JobState.SUCCEEDED.value and row.polls == 1


async def test_a_local_render_is_finished_without_an_http_client(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outputs that are files already need no download client (one cost about a
    millisecond of CPU to make and close, on every job)."""
    import httpx2

    made = 0

    class Counted(httpx2.AsyncClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            nonlocal made
            made += 1
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(httpx2, "AsyncClient", Counted)
    job = await submit_job(sketch(5, "client"))
    assert (await wait_job(job.id))["status"] == "succeeded"
    assert made == 0
