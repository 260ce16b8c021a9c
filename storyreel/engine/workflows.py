"""The generation workflow: submit -> wait (webhook, or polls timed by the model's expected
latency: ``engine/schedule.py``) -> the poll that sees it done downloads and finalizes.
One DBOS workflow per job, whose workflow id is the job id, and as few steps as its
guarantees allow (each step is a checkpoint read and write): a job that is done when
first polled makes two (submit, and the poll that also fetches and finalizes it).

The body only sequences steps and DBOS primitives, so replaying it after a crash takes the
same path: a job that had been polling for twenty minutes resumes at its next poll and is
never submitted again.
"""

from __future__ import annotations

import time
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID, WorkflowHandleAsync

from storyreel.providers.types import JobState

from . import peers, steps, waits, wakeups
from .schedule import poll_schedule
from .webhooks import WEBHOOK_TOPIC

WORKFLOW_NAME = "storyreel.generate"


def queue_name(provider: str) -> str:
    """One DBOS queue per provider, so its concurrency limit applies to its jobs only."""
    return f"storyreel.{provider}"


@DBOS.workflow(name=WORKFLOW_NAME)
async def generation_workflow(job_id: str) -> dict[str, Any]:
    """Run one job to a terminal state; returns ``{"status", "outputs", "error", "job_id"}``
    (the id of the job that produced the outputs: another one if the job failed over)."""
    waits.notify_when_done()
    try:
        result = await _run(job_id)
    finally:
        peers.forget(job_id)
    if result["status"] != JobState.FAILED.value:
        return result
    successor = await steps.failover(job_id)
    if successor is None:
        return result
    # The successor takes the failed job's place in its queue: a story's panel stays ahead
    # of its clips after a failover (DBOS stores 0 for "no priority").
    status = await DBOS.get_workflow_status_async(job_id)
    priority = (status.priority if status is not None else None) or None
    handle = await enqueue(successor["job_id"], successor["provider"], priority=priority)
    chained: dict[str, Any] = await waits.result(handle)
    return chained


async def enqueue(
    job_id: str, provider: str, *, priority: int | None = None
) -> WorkflowHandleAsync[dict[str, Any]]:
    """Queue a job's workflow on its provider's queue (``service.enqueue_job`` says how
    ``priority`` orders it); the queue looks for it at once."""
    queue = queue_name(provider)
    with SetWorkflowID(job_id), SetEnqueueOptions(priority=priority):
        handle = await DBOS.enqueue_workflow_async(queue, generation_workflow, job_id)
    wakeups.wake(queue)
    return handle


async def _run(job_id: str) -> dict[str, Any]:
    job = await steps.start(job_id)
    if "ok" not in job:  # over before it started (a cancel came first)
        return await steps.summary(job_id)
    if not job["ok"]:
        return await steps.fail(job_id, job["error"], job["reason"], "failed")
    handle = job["handle"]

    # Every value the schedule uses comes from a step result (the start step's clock and
    # expectation, each poll's clock), so a replay after a crash waits as the first run
    # did. Elapsed time is read at the end of the step before each wait: a synchronous
    # provider's submit may already have taken the model's whole time, and steps
    # themselves take time on a busy machine.
    started: float = job["loaded_at"]
    now: float = job["at"]
    peer_key: str | None = job.get("peers")
    polls = 0
    failures = 0
    retry_in: float | None = None
    while True:
        elapsed = now - started
        if polls and elapsed >= job["timeout"]:
            message = f"no result after {int(elapsed)} s; gave up waiting"
            return await steps.fail(job_id, message, "timeout", "failed")
        wait = retry_in or _next_wait(job, handle, now=now, elapsed=elapsed, polls=polls)
        wait = min(wait, max(0.0, job["timeout"] - elapsed))  # a last look at the deadline
        if wait > 0 and not job.get("webhooks"):
            await _sleep_until(now + wait, peer_key, job_id, started)
        elif wait > 0:
            # A webhook for this job (or a peer's finish) cuts the wait short; the next
            # poll confirms it.
            with peers.durable_wait(peer_key, job_id, started, wait):
                woke = await DBOS.recv_async(WEBHOOK_TOPIC, timeout_seconds=wait)
            if woke is not None and _says_still_running(woke):
                now = await _clock()
                continue
        seen = await steps.poll(job_id, handle, failures)
        now = seen["at"]
        polls += 1
        state = JobState(seen["state"])
        if state.terminal:
            if state is JobState.SUCCEEDED:
                peers.finished(peer_key, job_id, started, seen.get("seen_at", now))
            break
        failures = failures + 1 if seen.get("transient") else 0
        retry_in = seen.get("retry_in")

    if state is not JobState.SUCCEEDED:
        error = seen.get("error") or f"provider reported {state.value}"
        return await steps.fail(job_id, error, seen.get("reason"), state.value)
    # The poll that saw it done fetched and finalized it too; a poll recorded before
    # polls did that (a workflow resumed across an upgrade) leaves it to its own step.
    fetched = seen.get("fetched") or await steps.download(job_id, handle)
    if not fetched["ok"]:
        return await steps.fail(job_id, fetched["error"], fetched["reason"], "failed")
    return {key: value for key, value in fetched.items() if key != "ok"}


async def _sleep_until(deadline: float, peer_key: str | None, job_id: str, started: float) -> None:
    """Without webhooks only a peer's finish (this process's) cuts a wait short, so it is
    slept in memory, never as a durable ``DBOS.recv``: that costs two checkpoints and, on
    SQLite, a notification query every 0.1 s for as long as it waits (15 clips waiting 5 s
    each: 750 queries). ``deadline`` comes from a step's clock, so a replay after a crash
    sleeps only what is left of the wait, as a durable one would, and the path taken
    depends on step results only."""
    left = deadline - time.time()
    if left > 0:
        await peers.sleep(peer_key, job_id, started, left)


def _next_wait(
    job: dict[str, Any], handle: dict[str, Any], *, now: float, elapsed: float, polls: int
) -> float:
    ready_at = handle.get("ready_at")
    if polls == 0 and ready_at is not None:
        # The submit's answer said when the outcome is there (a synchronous API: at
        # once): the model's usual latency has nothing to add.
        return max(0.0, float(ready_at) - now)
    return poll_schedule(
        job.get("expected"),
        elapsed=elapsed,
        polls=polls,
        minimum=job.get("poll_interval_min", job["poll_interval"]),
        maximum=job["poll_interval_max"],
        first=job["poll_interval"],
        confident=bool(job.get("learned")),
        webhooks=bool(job.get("webhooks")),
    )


def _says_still_running(message: Any) -> bool:
    """A webhook that reports a non-final state (Replicate's ``start`` event): no poll."""
    state = message.get("state") if isinstance(message, dict) else None
    if state is None:
        return False
    try:
        return not JobState(state).terminal
    except ValueError:
        return False


@DBOS.step(name="storyreel.clock")
async def _clock() -> float:
    """The time, as a step, so that a replayed workflow sees the time the first run saw
    (only after a webhook that says "still running"; other steps carry their own ``at``)."""
    return time.time()
