"""The durable steps of a generation job. All I/O happens here, never in a workflow body.

Steps return small JSON dicts (ids, handles, states), never bytes, and report provider
failures as data (``{"ok": False, ...}``) instead of raising: the workflow decides what a
failure means, and nothing has to survive being pickled into the checkpoint table.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime
from typing import Any

import structlog
from dbos import DBOS

from storyreel.errors import (
    FailureReason,
    ProviderAPIError,
    ProviderJobError,
    StoryreelError,
    failure_reason,
)
from storyreel.providers.types import Handle, JobState
from storyreel.store.models import CostEntry, Job
from storyreel.testing.chaos import crash_point
from storyreel.vocabulary import GenerationRequest

from . import jobs, peers
from .blips import survives_db_blips
from .budget import reserve_and_mark_attempt
from .events import job_event
from .failover import take_over
from .finish import failure, fetch_and_finalize, final_cost, seen_values
from .latency import expected_latency, load_catalog
from .retry import CallKind, RetryPolicy, decide
from .runtime import runtime
from .shutdown import finish_before_cancel
from .webhooks import webhook_url

_rng = random.SystemRandom()
log = structlog.get_logger(__name__)

LOOKUP_SLACK_SECONDS = 120.0
"""How far before the recorded attempt a lookup searches: clocks of hosts differ."""


def _policy() -> RetryPolicy:
    return RetryPolicy(base_delay=runtime().settings.retry_base_delay)


_failure = failure


@DBOS.step(name="storyreel.submit")
@survives_db_blips
async def start(job_id: str) -> dict[str, Any]:
    """Load the job and submit it: one step (one checkpoint) where there were two.

    Returns what the poll schedule needs (``load_job``) and the submit's outcome: ``ok``
    with the ``handle``, or ``ok: False`` with the error; a job that is already over (a
    cancel that came first) is not submitted (``ok`` absent). ``at`` is the clock when the
    step ended, so the workflow needs no clock step before its first wait. Re-running the
    step after a crash is safe: ``submit`` adopts a stored handle and reconciles a lost
    answer before it sends anything again.
    """
    rt = runtime()
    job = await jobs.get_job(rt.db, job_id, outputs=False)
    loaded = await load_job(job)
    if JobState(job.status).terminal:
        return loaded | {"at": time.time()}
    return loaded | await submit(job) | {"at": time.time()}


async def load_job(job: Job) -> dict[str, Any]:
    """The job and everything its poll schedule needs, so the workflow body computes its
    waits from step results only: ``loaded_at`` (the clock when the job took its slot),
    the model's ``expected`` latency (``learned`` from finished jobs, or the catalog's),
    and whether a webhook will say when it is done."""
    rt = runtime()
    loaded_at = time.time()
    expected = await expected_latency(
        rt.db,
        load_catalog(rt.settings),
        job.model,
        job.task,
        resolution=job.request.get("resolution"),
        duration=job.request.get("duration"),
    )
    return {
        "status": job.status,
        "provider": job.provider,
        "loaded_at": loaded_at,
        "expected": expected.seconds,
        "learned": expected.learned,
        "webhooks": _webhooks_expected(job.provider),
        "peers": peers.key(
            job.provider, job.model, job.request.get("resolution"), job.request.get("duration")
        ),
        "poll_interval": rt.settings.poll_interval,
        "poll_interval_min": rt.settings.poll_interval_min,
        "poll_interval_max": rt.settings.poll_interval_max,
        "timeout": rt.settings.job_timeout,
    }


def _webhooks_expected(provider_name: str) -> bool:
    rt = runtime()
    if not rt.settings.public_url:
        return False
    try:
        return rt.provider(provider_name).supports_webhooks
    except StoryreelError:
        return False  # not configured here: the submit step reports it


async def submit(job: Job) -> dict[str, Any]:
    """Submit the job once, whatever happens to this process or the connection.

    Each attempt first records its intent (count and start time) and reserves the job's
    estimate against its budgets; only then is the request sent, and the handle stored as
    soon as it comes back. An attempt whose answer was lost (the process died while the
    request was in flight, or the connection dropped after sending) leaves an intent and no
    handle: before anything is sent again, the provider is asked whether it took the
    request (``Provider.find_submitted``) and what it has is adopted. Only a provider with
    no way to look a request up is sent it again, and the job is recorded as possibly
    billed twice (or stopped, with ``unknown_submit = "stop"``).
    """
    if job.handle is not None:
        return {"ok": True, "handle": job.handle}
    req = GenerationRequest.model_validate(job.request)
    try:
        handle = await _submit_until_settled(req, job.id, job)
    except StoryreelError as exc:
        return _failure(exc)
    return {"ok": True, "handle": handle.model_dump(mode="json")}


def outcome_unknown(error: BaseException) -> bool:
    """A submit error after which the provider may or may not have the job: no HTTP
    status came back (a timeout, a dropped connection, an unreadable answer)."""
    return isinstance(error, ProviderAPIError) and error.status is None


async def _submit_until_settled(req: GenerationRequest, job_id: str, loaded: Job) -> Handle:
    rt = runtime()
    policy = _policy()
    attempt = 0
    job: Job | None = loaded  # fresh from this step: the first round needs no read
    while True:
        if job is None:
            job = await jobs.get_job(rt.db, job_id, outputs=False)
        if job.submit_started_at is not None:
            adopted = await finish_before_cancel(_reconcile(job, req))
            if adopted is not None:
                return adopted
        attempt += 1
        try:
            # A stopping engine must not cut an attempt in half: a request the provider
            # may have taken, with no handle stored, would be bought again on resume.
            return await finish_before_cancel(_submit_once(req, job_id, job.submit_attempts + 1))
        except StoryreelError as exc:
            job = None  # the attempt changed the row: read it again next round
            if outcome_unknown(exc):
                if attempt >= policy.max_attempts:
                    raise
                continue  # the next round asks the provider before sending anything
            # The provider answered: it did not take the job, so nothing is pending.
            await jobs.update_job(rt.db, job_id, submit_started_at=None)
            verdict = decide(
                exc, call=CallKind.SUBMIT, attempt=attempt, policy=policy, unit=_rng.random()
            )
            if not verdict.retry:
                raise
            await _waiting(job_id, req.provider, exc, verdict.delay)
            await asyncio.sleep(verdict.delay)


async def _submit_once(req: GenerationRequest, job_id: str, attempts: int) -> Handle:
    rt = runtime()
    provider = rt.provider(req.provider)
    provider.check(req)
    await reserve_and_mark_attempt(
        rt.db, job_id, attempts=attempts, monthly_cap=rt.settings.monthly_budget_usd
    )
    hook = webhook_url(rt.settings, req.provider, job_id)
    job_event("job submitting", job_id, provider=req.provider, model=req.model, attempt=attempts)
    crash_point("before_submit")
    handle = await provider.submit(
        req, job_id=job_id, webhook_url=hook if provider.supports_webhooks else None
    )
    crash_point("after_submit_before_handle")
    await _adopt(job_id, handle)
    job_event(
        "job submitted", job_id, provider=req.provider, model=req.model, request=handle.request_id
    )
    return handle


async def _waiting(job_id: str, provider: str, error: StoryreelError, delay: float) -> None:
    """Say why a job is not moving, where the progress display and ``jobs show`` read it:
    a 429 storm must not look like a hang."""
    reason = failure_reason(error)
    what = "rate limited" if reason is FailureReason.RATE_LIMITED else str(reason).replace("_", " ")
    note = f"{provider}: {what}, retrying in {delay:.0f} s"
    log.info("job waiting", job_id=job_id, provider=provider, reason=reason.value, note=note)
    await jobs.update_job(runtime().db, job_id, note=note)


async def _adopt(job_id: str, handle: Handle) -> None:
    """Store the handle and mark the job running, in one transaction."""
    await jobs.adopt_handle(runtime().db, job_id, handle.model_dump(mode="json"))


async def _reconcile(job: Job, req: GenerationRequest) -> Handle | None:
    """Settle a submit whose outcome was lost. Returns the adopted handle, or None when
    submitting (again) is the right thing to do; raises to fail the job."""
    rt = runtime()
    provider = rt.provider(req.provider)
    assert job.submit_started_at is not None
    if not provider.can_find_submitted(req):
        if job.estimate_usd == 0:
            return None  # free (a local renderer): repeating it costs nothing
        if rt.settings.unknown_submit == "stop":
            raise ProviderJobError(
                f"{req.provider} may or may not have taken this job before the process "
                "stopped, and it offers no way to look it up; check its dashboard, then "
                "run the same command again to submit it again",
                provider=req.provider,
                reason=FailureReason.UNKNOWN,
            )
        await jobs.update_job(rt.db, job.id, possibly_billed_twice=True)
        job_event(
            "job resubmitting after a lost answer (possibly billed twice)",
            job.id,
            provider=req.provider,
            model=req.model,
        )
        return None
    since = job.submit_started_at.timestamp() - LOOKUP_SLACK_SECONDS
    attempt = 0
    while True:
        attempt += 1
        try:
            found = await provider.find_submitted(req, job_id=job.id, since=since)
            break
        except StoryreelError as exc:
            verdict = decide(
                exc, call=CallKind.POLL, attempt=attempt, policy=_policy(), unit=_rng.random()
            )
            if not verdict.retry:
                raise
            await asyncio.sleep(verdict.delay)
    if found is not None:
        await _adopt(job.id, found)
        job_event(
            "job adopted a lost submit",
            job.id,
            provider=req.provider,
            model=req.model,
            request=found.request_id,
        )
    return found


@DBOS.step(name="storyreel.poll")
@survives_db_blips
async def poll(job_id: str, handle: dict[str, Any], failures: int) -> dict[str, Any]:
    """One observation. Transient API errors come back as ``retry_in`` seconds."""
    rt = runtime()
    provider = rt.provider(handle["provider"])
    sent_at = time.time()
    try:
        status = await provider.poll(Handle.model_validate(handle))
    except StoryreelError as exc:
        verdict = decide(
            exc, call=CallKind.POLL, attempt=failures + 1, policy=_policy(), unit=_rng.random()
        )
        if verdict.retry:
            return {
                "state": JobState.RUNNING.value,
                "retry_in": verdict.delay,
                "transient": True,
                "at": time.time(),
            }
        return {"state": JobState.FAILED.value, **_failure(exc), "at": time.time()}
    crash_point("during_poll")
    values: dict[str, Any] = {"progress": status.progress, "polls": 1}
    if status.state is JobState.SUCCEEDED:
        # When the provider was seen done, not when our download and bookkeeping ended:
        # the latency the next jobs are scheduled by (``engine/latency.py``) must not
        # grow with our own overhead, or a busy engine would wait ever longer to look.
        values["finished_at"] = datetime.fromtimestamp(sent_at, UTC)
    if status.usage is not None:
        values["usage"] = status.usage.model_dump(mode="json", exclude_none=True)
    job_event(
        "job polled",
        job_id,
        provider=handle["provider"],
        state=status.state.value,
        progress=status.progress,
    )
    if status.state is JobState.SUCCEEDED:
        # Fetched and finalized in this step, the poll's values in the same UPDATE.
        fetched = await fetch_and_finalize(job_id, handle, seen=values)
        return {
            "state": status.state.value,
            "fetched": fetched,
            "seen_at": sent_at,
            "at": time.time(),
        }
    await jobs.update_job(rt.db, job_id, **seen_values(values))
    out: dict[str, Any] = {
        "state": status.state.value,
        "message": status.message,
        "at": time.time(),
    }
    if status.state is JobState.FAILED:
        reason = status.error_reason or FailureReason.MODEL_FAILED
        out |= {"error": status.message or "the model failed", "reason": reason.value}
    elif status.state is JobState.CANCELED:
        out |= {"reason": FailureReason.CANCELED.value}
    return out


@DBOS.step(name="storyreel.download")
@survives_db_blips
async def download(job_id: str, handle: dict[str, Any]) -> dict[str, Any]:
    """Fetch the outputs and finalize the job, as a step of its own: only a workflow
    whose poll was recorded before polls did it themselves (``finish``) replays this."""
    return await fetch_and_finalize(job_id, handle)


@DBOS.step(name="storyreel.fail")
@survives_db_blips
async def fail(job_id: str, error: str, reason: str | None, state: str) -> dict[str, Any]:
    """End a job as failed or canceled, with its typed reason and what it really cost: $0
    for a submit the provider refused, the provider's metered charge otherwise."""
    rt = runtime()
    job = await jobs.get_job(rt.db, job_id)
    if job.status == JobState.SUCCEEDED.value:
        # Finalized by an earlier run of this workflow that died before DBOS recorded its
        # poll: the replayed poll finds a local render's scratch file already moved into
        # the store ("output vanished"). The job succeeded; say so, with its outputs.
        return _summary_of(job)
    lost_answer = job.handle is None and reason == FailureReason.UNKNOWN.value
    # A submit whose answer was lost may have been billed: no final cost, so budgets keep
    # counting its reservation.
    cost = (
        None
        if lost_answer
        else final_cost(job.request, job.usage, accepted=job.handle is not None, succeeded=False)
    )
    if (
        await jobs.transition(
            rt.db,
            job_id,
            JobState(state),
            error=error,
            error_reason=reason or FailureReason.UNKNOWN.value,
            cost_usd=cost,
        )
        and cost
    ):
        async with rt.db.session() as session:
            session.add(CostEntry(job_id=job_id, kind="final", amount_usd=cost))
    job = await jobs.get_job(rt.db, job_id)
    job_event(
        f"job {job.status}",
        job_id,
        provider=job.provider,
        model=job.model,
        reason=job.error_reason,
        error=job.error,
        cost_usd=job.cost_usd,
    )
    return {
        "status": job.status,
        "error": job.error,
        "reason": job.error_reason,
        "outputs": [],
        "job_id": job_id,
    }


@DBOS.step(name="storyreel.failover")
@survives_db_blips
async def failover(job_id: str) -> dict[str, Any] | None:
    return await take_over(runtime(), job_id)


@DBOS.step(name="storyreel.summary")
@survives_db_blips
async def summary(job_id: str) -> dict[str, Any]:
    return _summary_of(await jobs.get_job(runtime().db, job_id))


def _summary_of(job: Job) -> dict[str, Any]:
    return {
        "status": job.status,
        "error": job.error,
        "outputs": [o.asset_sha256 for o in job.outputs],
        "job_id": job.id,
    }


__all__ = ["download", "fail", "failover", "poll", "start", "summary"]
