"""The durable steps of a generation job. All I/O happens here, never in a workflow body.

Steps return small JSON dicts (ids, handles, states), never bytes, and report provider
failures as data (``{"ok": False, ...}``) instead of raising: the workflow decides what a
failure means, and nothing has to survive being pickled into the checkpoint table.
"""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx2
from dbos import DBOS
from sqlalchemy import select

from storyreel.errors import ProviderJobError, StoryreelError
from storyreel.providers.types import GenerationRequest, Handle, JobState
from storyreel.store.models import Asset, CostEntry, Job, JobOutput, utcnow

from . import jobs
from .blips import survives_db_blips
from .failover import take_over
from .outputs import store_artifact
from .retry import CallKind, RetryPolicy, decide
from .runtime import runtime
from .shutdown import finish_before_cancel
from .webhooks import webhook_url

_rng = random.SystemRandom()


def _policy() -> RetryPolicy:
    return RetryPolicy(base_delay=runtime().settings.retry_base_delay)


def _failure(error: BaseException) -> dict[str, Any]:
    reason = getattr(error, "reason", None) or type(error).__name__
    return {"ok": False, "error": str(error), "reason": reason}


@DBOS.step(name="storyreel.load_job")
@survives_db_blips
async def load_job(job_id: str) -> dict[str, Any]:
    rt = runtime()
    job = await jobs.get_job(rt.db, job_id)
    return {
        "status": job.status,
        "provider": job.provider,
        "poll_interval": rt.settings.poll_interval,
        "poll_interval_max": rt.settings.poll_interval_max,
        "timeout": rt.settings.job_timeout,
    }


@DBOS.step(name="storyreel.submit")
@survives_db_blips
async def submit(job_id: str) -> dict[str, Any]:
    """Record the attempt, submit, persist the handle. A handle already on the row means
    an earlier attempt got through before a crash: reuse it instead of buying again."""
    rt = runtime()
    job = await jobs.get_job(rt.db, job_id)
    if job.handle is not None:
        return {"ok": True, "handle": job.handle}
    req = GenerationRequest.model_validate(job.request)
    attempt = 0
    while True:
        attempt += 1
        try:
            # A stopping engine must not cut an attempt in half: a request the provider
            # may have taken, with no handle stored, would be bought again on resume.
            handle = await finish_before_cancel(
                _submit_once(req, job_id, job.submit_attempts + attempt)
            )
            break
        except StoryreelError as exc:
            verdict = decide(
                exc, call=CallKind.SUBMIT, attempt=attempt, policy=_policy(), unit=_rng.random()
            )
            if not verdict.retry:
                return _failure(exc)
            await asyncio.sleep(verdict.delay)
    return {"ok": True, "handle": handle.model_dump(mode="json")}


async def _submit_once(req: GenerationRequest, job_id: str, attempts: int) -> Handle:
    rt = runtime()
    provider = rt.provider(req.provider)
    await jobs.update_job(rt.db, job_id, submit_attempts=attempts)
    provider.check(req)
    hook = webhook_url(rt.settings, req.provider, job_id)
    handle = await provider.submit(
        req, job_id=job_id, webhook_url=hook if provider.supports_webhooks else None
    )
    await jobs.record_handle(rt.db, job_id, handle)
    await jobs.transition(rt.db, job_id, JobState.RUNNING, allowed_from=[JobState.QUEUED])
    return handle


@DBOS.step(name="storyreel.poll")
@survives_db_blips
async def poll(job_id: str, handle: dict[str, Any], failures: int) -> dict[str, Any]:
    """One observation. Transient API errors come back as ``retry_in`` seconds."""
    rt = runtime()
    provider = rt.provider(handle["provider"])
    try:
        status = await provider.poll(Handle.model_validate(handle))
    except StoryreelError as exc:
        verdict = decide(
            exc, call=CallKind.POLL, attempt=failures + 1, policy=_policy(), unit=_rng.random()
        )
        if verdict.retry:
            return {"state": JobState.RUNNING.value, "retry_in": verdict.delay, "transient": True}
        return {"state": JobState.FAILED.value, **_failure(exc)}
    await jobs.update_job(rt.db, job_id, progress=status.progress, polls=Job.polls + 1)
    out: dict[str, Any] = {"state": status.state.value, "message": status.message}
    if status.state is JobState.FAILED:
        out |= {"error": status.message or "the model failed", "reason": status.error_reason}
    return out


@DBOS.step(name="storyreel.download")
@survives_db_blips
async def download(job_id: str, handle: dict[str, Any]) -> dict[str, Any]:
    """Fetch every output into the asset store right away."""
    rt = runtime()
    provider = rt.provider(handle["provider"])
    base_url = rt.settings.provider(handle["provider"]).base_url
    trusted = {urlsplit(base_url).hostname or ""} if base_url else set()
    try:
        artifacts = await provider.result(Handle.model_validate(handle))
        if not artifacts:
            raise ProviderJobError("the provider reported success but returned no output")
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(30.0, read=120.0)) as client:
            stored = [
                await store_artifact(
                    artifact,
                    assets=rt.assets,
                    data_dir=rt.settings.data_path,
                    client=client,
                    max_bytes=rt.settings.max_upload_bytes * 50,
                    trusted_hosts=trusted,
                )
                for artifact in artifacts
            ]
    except (StoryreelError, httpx2.HTTPError) as exc:
        return _failure(exc)
    return {"ok": True, "assets": stored}


@DBOS.step(name="storyreel.finalize")
@survives_db_blips
async def finalize(job_id: str, assets: list[dict[str, Any]]) -> dict[str, Any]:
    """Register outputs and mark the job succeeded in one transaction (compare-and-set)."""
    rt = runtime()
    async with rt.db.session() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        if job.status in (JobState.SUCCEEDED.value, JobState.CANCELED.value):
            return {
                "status": job.status,
                "outputs": [o.asset_sha256 for o in job.outputs],
                "job_id": job_id,
            }
        known = set(
            (
                await session.execute(
                    select(Asset.sha256).where(Asset.sha256.in_([a["sha256"] for a in assets]))
                )
            ).scalars()
        )
        for position, info in enumerate(assets):
            if info["sha256"] not in known:
                session.add(Asset(source_job_id=job_id, **info))
                known.add(info["sha256"])
            session.add(
                JobOutput(
                    job_id=job_id,
                    position=position,
                    asset_sha256=info["sha256"],
                    mime=info["mime"],
                )
            )
        cost = job.estimate_usd if job.estimate_usd is not None else Decimal(0)
        session.add(CostEntry(job_id=job_id, kind="final", amount_usd=cost))
        job.status = JobState.SUCCEEDED.value
        job.cost_usd = cost
        job.progress = 1.0
        job.finished_at = job.updated_at = utcnow()
    return {
        "status": JobState.SUCCEEDED.value,
        "outputs": [a["sha256"] for a in assets],
        "job_id": job_id,
    }


@DBOS.step(name="storyreel.fail")
@survives_db_blips
async def fail(job_id: str, error: str, reason: str | None, state: str) -> dict[str, Any]:
    rt = runtime()
    await jobs.transition(rt.db, job_id, JobState(state), error=error, error_reason=reason)
    job = await jobs.get_job(rt.db, job_id)
    return {"status": job.status, "error": job.error, "outputs": [], "job_id": job_id}


@DBOS.step(name="storyreel.failover")
@survives_db_blips
async def failover(job_id: str) -> dict[str, Any] | None:
    return await take_over(runtime(), job_id)


@DBOS.step(name="storyreel.summary")
@survives_db_blips
async def summary(job_id: str) -> dict[str, Any]:
    rt = runtime()
    job = await jobs.get_job(rt.db, job_id)
    return {
        "status": job.status,
        "error": job.error,
        "outputs": [o.asset_sha256 for o in job.outputs],
        "job_id": job_id,
    }


__all__ = ["download", "fail", "failover", "finalize", "load_job", "poll", "submit", "summary"]
