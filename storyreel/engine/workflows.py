"""The generation workflow: submit -> wait (webhook or poll with backoff) -> download ->
finalize. One DBOS workflow per job, whose workflow id is the job id.

The body only sequences steps and DBOS primitives, so replaying it after a crash takes the
same path: a job that had been polling for twenty minutes resumes at its next poll and is
never submitted again.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS, SetWorkflowID

from storyreel.providers.types import JobState

from . import steps, waits
from .retry import next_poll_delay
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
    result = await _run(job_id)
    if result["status"] != JobState.FAILED.value:
        return result
    successor = await steps.failover(job_id)
    if successor is None:
        return result
    with SetWorkflowID(successor["job_id"]):
        handle = await DBOS.enqueue_workflow_async(
            queue_name(successor["provider"]), generation_workflow, successor["job_id"]
        )
    chained: dict[str, Any] = await waits.result(handle)
    return chained


async def _run(job_id: str) -> dict[str, Any]:
    job = await steps.load_job(job_id)
    if JobState(job["status"]).terminal:
        return await steps.summary(job_id)

    submitted = await steps.submit(job_id)
    if not submitted["ok"]:
        return await steps.fail(job_id, submitted["error"], submitted["reason"], "failed")
    handle = submitted["handle"]

    delay: float = job["poll_interval"]
    waited = 0.0
    failures = 0
    while True:
        seen = await steps.poll(job_id, handle, failures)
        state = JobState(seen["state"])
        if state.terminal:
            break
        failures = failures + 1 if seen.get("transient") else 0
        if waited >= job["timeout"]:
            message = f"no result after {int(waited)} s; gave up waiting"
            return await steps.fail(job_id, message, "timeout", "failed")
        wait = seen.get("retry_in") or delay
        # A webhook for this job wakes the wait early; the next poll confirms it.
        await DBOS.recv_async(WEBHOOK_TOPIC, timeout_seconds=wait)
        waited += wait
        delay = next_poll_delay(delay, maximum=job["poll_interval_max"])

    if state is not JobState.SUCCEEDED:
        error = seen.get("error") or f"provider reported {state.value}"
        return await steps.fail(job_id, error, seen.get("reason"), state.value)
    fetched = await steps.download(job_id, handle)
    if not fetched["ok"]:
        return await steps.fail(job_id, fetched["error"], fetched["reason"], "failed")
    return await steps.finalize(job_id, fetched["assets"])
