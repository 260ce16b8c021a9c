"""The end of a job that succeeded: fetch its outputs into the asset store, then finalize
the job (outputs, final cost, status) in one transaction.

It runs inside the poll step that saw the job done, so a job done at its first poll makes
two steps (submit, poll) and its poll's bookkeeping (``polls``, ``finished_at``, usage)
rides on the finalizing UPDATE (a local render's; outputs fetched over the network are
slow enough to record the poll first, which shows the job downloading). A crash half way
re-runs that poll step: the provider is asked again (free) and the outputs fetched again,
which buys nothing (they are stored by their hash). Finalizing is plain SQL (SQLAlchemy
Core): five statements for a job with one output, and none of the ORM's unit-of-work
bookkeeping on the hottest path.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any, cast

import httpx2
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storyreel.catalog import Catalog, billing
from storyreel.errors import ProviderJobError, StoryreelError, failure_reason
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Usage
from storyreel.store.models import Asset, CostEntry, Job, JobOutput, utcnow
from storyreel.testing.chaos import crash_point
from storyreel.vocabulary import GenerationRequest

from .events import job_event
from .outputs import store_artifact
from .runtime import runtime

_JOBS = cast(Table, Job.__table__)
_ASSETS = cast(Table, Asset.__table__)
_OUTPUTS = cast(Table, JobOutput.__table__)
_COSTS = cast(Table, CostEntry.__table__)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every download: building one reads the CA bundle, about 25 ms
    of CPU, which a client per download paid on every job. A context is safe to share."""
    return httpx2.create_ssl_context()


@contextlib.asynccontextmanager
async def _download_client(
    artifacts: Sequence[RemoteArtifact],
) -> AsyncIterator[httpx2.AsyncClient | None]:
    """A client for this job's downloads, made only when an output is on the network: a
    local render's outputs are files already, and a client costs about a millisecond of
    CPU to make and close (its proxy table, its pool). One client per job, not one
    shared: the guard pins each connection to a checked address, and a pooled connection
    must never carry a request for another host."""
    if all(artifact.path is not None for artifact in artifacts):
        yield None
        return
    async with httpx2.AsyncClient(
        timeout=httpx2.Timeout(30.0, read=120.0), verify=_tls()
    ) as client:
        yield client


def failure(error: BaseException) -> dict[str, Any]:
    """A provider failure as step data (the workflow decides what it means)."""
    return {"ok": False, "error": str(error), "reason": failure_reason(error).value}


async def fetch_and_finalize(
    job_id: str, handle: dict[str, Any], seen: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Fetch every output into the asset store right away, then finalize the job: the
    job's result (``finalize``) with ``ok``, or ``ok: False`` and the error. ``seen``:
    the column values of the poll that saw the job done, written by the same UPDATE (or,
    when the fetch fails, on their own: the failure's cost reads the usage)."""
    rt = runtime()
    provider = rt.provider(handle["provider"])
    base_url = rt.settings.provider(handle["provider"]).base_url
    trusted = [base_url] if base_url else []  # its exact origin; other ports stay guarded
    try:
        artifacts = await provider.result(Handle.model_validate(handle))
        if not artifacts:
            raise ProviderJobError("the provider reported success but returned no output")
        if seen and any(artifact.path is None for artifact in artifacts):
            # A fetch over the network takes a while: record the poll first, so progress
            # displays show the job downloading (running, with ``finished_at``).
            await _record_seen(job_id, seen)
            seen = None
        async with _download_client(artifacts) as client:
            stored = [
                await store_artifact(
                    artifact,
                    assets=rt.assets,
                    data_dir=rt.settings.data_path,
                    client=client,
                    max_bytes=rt.settings.max_upload_bytes * 50,
                    trusted_origins=trusted,
                )
                for artifact in artifacts
            ]
    except (StoryreelError, httpx2.HTTPError) as exc:
        done = await finished_result(job_id)  # this ran before, up to its commit
        if done is not None:
            return {"ok": True, **done}
        if seen:
            await _record_seen(job_id, seen)
        return failure(exc)
    crash_point("during_download")
    finished = {"ok": True, **await finalize(job_id, stored, seen=seen)}
    for artifact in artifacts:  # a local render's scratch file, now in the store
        if artifact.path is not None:
            artifact.path.unlink(missing_ok=True)
    return finished


async def _record_seen(job_id: str, seen: dict[str, Any]) -> None:
    async with runtime().db.session() as session:
        await session.execute(
            update(_JOBS).where(Job.id == job_id).values(updated_at=utcnow(), **seen_values(seen))
        )


def seen_values(seen: dict[str, Any]) -> dict[str, Any]:
    """A poll's observations as column values (``polls`` counts one more)."""
    values = {key: value for key, value in seen.items() if key != "polls"}
    if seen.get("polls"):
        values["polls"] = Job.polls + 1
    return values


async def finished_result(job_id: str) -> dict[str, Any] | None:
    """The job's result if an earlier run of its finalizing committed it."""
    async with runtime().db.session() as session:
        status = (
            await session.execute(select(Job.status).where(Job.id == job_id))
        ).scalar_one_or_none()
        if status != JobState.SUCCEEDED.value:
            return None
        return await _result_of(session, job_id, status)


async def _result_of(session: AsyncSession, job_id: str, status: str) -> dict[str, Any]:
    done = select(JobOutput.asset_sha256).where(JobOutput.job_id == job_id)
    outputs = (await session.execute(done.order_by(JobOutput.position))).scalars()
    return {"status": status, "outputs": list(outputs), "job_id": job_id}


def _insert_assets(session: AsyncSession) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` for assets: a file already stored keeps the
    row (and ``source_job_id``) of the job that first made it."""
    dialect = session.get_bind().dialect.name
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return maker(_ASSETS).on_conflict_do_nothing(index_elements=["sha256"])


async def finalize(
    job_id: str, assets: list[dict[str, Any]], *, seen: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Register outputs and mark the job succeeded in one transaction (compare-and-set).
    ``seen``: the done poll's column values, written by the same UPDATE. A crash before
    it commits re-runs the fetch, which buys nothing (the outputs are fetched again and
    stored by their hash)."""
    rt = runtime()
    seen = seen or {}
    async with rt.db.session() as session:
        job = (
            await session.execute(
                select(
                    Job.status,
                    Job.provider,
                    Job.model,
                    Job.estimate_usd,
                    Job.request,
                    Job.usage,
                    Job.handle,
                ).where(Job.id == job_id)
            )
        ).one()
        if job.status in (JobState.SUCCEEDED.value, JobState.CANCELED.value):
            return await _result_of(session, job_id, job.status)
        if assets:
            columns = [c.name for c in _ASSETS.columns if c.name not in ("created_at",)]
            rows = [
                {c: info.get(c) for c in columns} | {"source_job_id": job_id} for info in assets
            ]
            await session.execute(_insert_assets(session), rows)
            await session.execute(
                insert(_OUTPUTS),
                [
                    {
                        "job_id": job_id,
                        "position": position,
                        "asset_sha256": info["sha256"],
                        "mime": info["mime"],
                    }
                    for position, info in enumerate(assets)
                ],
            )
        usage = seen.get("usage", job.usage)
        cost = final_cost(job.request, usage, accepted=job.handle is not None, succeeded=True)
        if cost is not None:
            await session.execute(
                insert(_COSTS).values(job_id=job_id, kind="final", amount_usd=cost)
            )
        now = utcnow()
        # When the provider was seen done (the poll), not when our download ended; a job
        # finalized without it keeps the time its last poll recorded, or now.
        finished_at = seen.get("finished_at") or func.coalesce(Job.finished_at, now)
        values = seen_values(seen) | {
            "status": JobState.SUCCEEDED.value,
            "cost_usd": cost,
            "progress": 1.0,
            "updated_at": now,
            "finished_at": finished_at,
        }
        await session.execute(update(_JOBS).where(Job.id == job_id).values(values))
    job_event(
        "job succeeded",
        job_id,
        provider=job.provider,
        model=job.model,
        outputs=len(assets),
        estimate_usd=job.estimate_usd,
        cost_usd=cost,
    )
    return {
        "status": JobState.SUCCEEDED.value,
        "outputs": [a["sha256"] for a in assets],
        "job_id": job_id,
    }


def final_cost(
    request: dict[str, Any],
    usage: dict[str, Any] | None,
    *,
    accepted: bool,
    succeeded: bool,
) -> Decimal | None:
    """A job's final cost from the one pricing module (``catalog.billing``)."""
    return billing.final_cost(
        Catalog.load(runtime().settings),
        GenerationRequest.model_validate(request),
        accepted=accepted,
        succeeded=succeeded,
        usage=Usage.model_validate(usage) if usage else None,
    )
