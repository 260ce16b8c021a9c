"""Failover: when a job fails for a reason that is not the input's fault, the next model
in the catalog's chain takes it over, and both jobs record the switch.

Input and safety failures are not failed over: another model would refuse the same prompt
or reject the same bad input, and paying for that twice helps nobody. Providers tag those
failures with one of ``NO_FAILOVER_REASONS``.
"""

from __future__ import annotations

from typing import Any

from storyreel.catalog import Catalog
from storyreel.errors import InputError
from storyreel.providers.types import GenerationRequest, JobState

from . import jobs
from .pricing import estimate
from .runtime import Runtime

NO_FAILOVER_REASONS = frozenset(
    {"invalid_input", "safety", "InputError", "NotFound", "canceled", "timeout"}
)


async def take_over(rt: Runtime, job_id: str) -> dict[str, Any] | None:
    """Create the job that takes over a failed one, or None when there is none to try.
    Idempotent: a job that already failed over returns the same successor."""
    job = await jobs.get_job(rt.db, job_id)
    if job.failover_to:
        successor = await jobs.get_job(rt.db, job.failover_to)
        return {"job_id": successor.id, "provider": successor.provider, "model": successor.model}
    if job.status != JobState.FAILED.value or (job.error_reason or "") in NO_FAILOVER_REASONS:
        return None
    catalog = Catalog.load(rt.settings)
    if job.model not in catalog:
        return None
    req = GenerationRequest.model_validate(job.request)
    for model in catalog.chain(job.model, req.task):
        candidate = req.model_copy(update={"model": model})
        provider_name = candidate.provider
        if provider_name not in rt.registry.names():
            continue
        provider = rt.provider(provider_name)
        try:
            catalog.validate_request(candidate)
            provider.check(candidate)
        except InputError:
            continue
        if not provider.available():
            continue
        successor, _ = await jobs.create_job(
            rt.db,
            candidate,
            project_id=job.project_id,
            estimate_usd=estimate(rt.settings, candidate),
        )
        await jobs.update_job(rt.db, successor.id, failover_from=job.id)
        await jobs.update_job(rt.db, job.id, failover_to=successor.id)
        return {"job_id": successor.id, "provider": successor.provider, "model": model}
    return None
