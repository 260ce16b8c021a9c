"""Failover: when a job fails for a reason another model can help with, the next model
in the catalog's chain takes it over, and both jobs record the switch.

The typed reason decides (``FailureReason.fails_over``): bad input, a safety refusal, a key
problem, a cancel or a budget stop never fail over, since another model would reject the
same input or refuse the same prompt, and paying for that twice helps nobody. A job of a
story that pins failover to its model family (``render.failover: family``, the default for
stories) is only taken over by the same model at another provider, so a panel is never
silently redrawn in another model's look; ``off`` never fails over.
"""

from __future__ import annotations

from typing import Any, Literal

from storyreel.catalog import Catalog
from storyreel.errors import FailureReason, InputError
from storyreel.providers.types import JobState
from storyreel.store.models import Project
from storyreel.vocabulary import GenerationRequest

from . import jobs
from .events import job_event
from .pricing import estimate
from .runtime import Runtime

Policy = Literal["any", "family", "off"]


def reason_fails_over(raw: str | None) -> bool:
    try:
        return FailureReason(raw or FailureReason.UNKNOWN.value).fails_over
    except ValueError:
        return FailureReason.UNKNOWN.fails_over


async def _policy(rt: Runtime, project_id: str | None) -> Policy:
    """A story's failover policy (``render.failover``); jobs outside a story take any."""
    if project_id is None:
        return "any"
    async with rt.db.session() as session:
        project = await session.get(Project, project_id)
    if project is None:
        return "any"
    value = (project.story.get("render") or {}).get("failover", "family")
    return value if value in ("any", "family", "off") else "family"


async def take_over(rt: Runtime, job_id: str) -> dict[str, Any] | None:
    """Create the job that takes over a failed one, or None when there is none to try.
    Idempotent: a job that already failed over returns the same successor."""
    job = await jobs.get_job(rt.db, job_id)
    if job.failover_to:
        successor = await jobs.get_job(rt.db, job.failover_to)
        return {"job_id": successor.id, "provider": successor.provider, "model": successor.model}
    if job.status != JobState.FAILED.value or not reason_fails_over(job.error_reason):
        return None
    policy = await _policy(rt, job.project_id)
    catalog = Catalog.load(rt.settings)
    if policy == "off" or job.model not in catalog:
        return None
    req = GenerationRequest.model_validate(job.request)
    for model in catalog.chain(job.model, req.task, same_family=policy == "family"):
        candidate = req.model_copy(update={"model": model})
        provider_name = candidate.provider
        if provider_name not in rt.registry.names():
            continue
        provider = rt.provider(provider_name)
        try:
            candidate = catalog.bind(candidate)
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
        job_event(
            "job failed over",
            job.id,
            provider=job.provider,
            model=job.model,
            reason=job.error_reason,
            to_job=successor.id,
            to_model=model,
        )
        return {"job_id": successor.id, "provider": successor.provider, "model": model}
    return None
