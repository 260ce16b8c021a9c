"""Waiting on workflows costs nothing: waiters make no status query while nothing
changes, and still learn of an end that happens elsewhere (here a cancel)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from dbos import DBOS, SetWorkflowID
from dbos import error as dbos_errors
from sqlalchemy import event
from sqlalchemy.engine import Engine as SyncEngine

from storyreel.engine import waits
from storyreel.engine.app import Engine
from storyreel.engine.service import submit_job, wait_job
from storyreel.engine.workflows import generation_workflow
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task

#: A queue no process works on: its workflows wait, ENQUEUED, until cancelled.
IDLE_QUEUE = "storyreel.test-nobody"


async def test_waiters_make_no_status_queries_while_nothing_changes(engine: Engine) -> None:
    ids = [f"idle-wait-{i}" for i in range(8)]
    for workflow_id in ids:
        with SetWorkflowID(workflow_id):
            await DBOS.enqueue_workflow_async(IDLE_QUEUE, generation_workflow, workflow_id)
    status_reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if "workflow_status" in statement and any(i in str(params) for i in ids):
            status_reads.append(statement)

    event.listen(SyncEngine, "before_cursor_execute", count)
    try:
        waiters = [asyncio.create_task(wait_job(i)) for i in ids]
        await asyncio.sleep(0.3)  # each waiter looks its workflow up once on arrival
        status_reads.clear()
        await asyncio.sleep(2.0)
        assert not any(w.done() for w in waiters)
        # Then one look per fallback second for all of them together; polling each
        # handle would be 8 waiters x 10-20 reads a second.
        assert len(status_reads) <= 3, len(status_reads)
        for workflow_id in ids:
            await DBOS.cancel_workflow_async(workflow_id)
        results = await asyncio.wait_for(
            asyncio.gather(*waiters, return_exceptions=True), timeout=5
        )
    finally:
        event.remove(SyncEngine, "before_cursor_execute", count)
    assert all(isinstance(r, dbos_errors.DBOSAwaitedWorkflowCancelledError) for r in results)


@pytest.fixture
def backend() -> None:
    """SQLite only: the mechanism is the same on PostgreSQL."""
    return None


def test_workflow_end_listeners_are_called_until_removed() -> None:
    calls: list[str] = []

    def broken() -> None:
        raise RuntimeError("a display's bug")

    remove_broken = waits.on_workflow_end(broken)
    remove = waits.on_workflow_end(lambda: calls.append("ended"))
    waits._poke_all()  # the broken one is logged, the next one still runs
    assert calls == ["ended"]
    remove()
    remove_broken()
    remove()  # twice is harmless
    waits._poke_all()
    assert calls == ["ended"]


async def test_a_workflow_ending_here_releases_its_waiter_without_a_query(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watch looks once when the waiter arrives; the end of a workflow run by this
    process is told by its task, not found by another status query."""
    monkeypatch.setattr(waits, "FALLBACK_SECONDS", 60.0)  # no look for ends elsewhere
    ScriptedProvider.reset()
    await engine.add_provider(ScriptedProvider)
    polls = ["running"] * 4 + ["succeeded"]  # still running when the waiter arrives
    req = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="scripted:t", prompt="p", extra={"polls": polls}
    )
    job = await submit_job(req)
    before = waits.watch().queries
    assert (await asyncio.wait_for(wait_job(job.id), 30))["status"] == "succeeded"
    assert waits.watch().queries - before == 1


async def test_waiting_for_a_workflow_that_does_not_exist_fails_at_once(engine: Engine) -> None:
    """``wait_job`` reads no status row before waiting: the watch's first look, shared by
    every waiter arriving with it, is what finds the workflow missing."""
    with pytest.raises(dbos_errors.DBOSNonExistentWorkflowError):
        await asyncio.wait_for(wait_job("no-such-job"), timeout=10)
