"""Planning a story with a chat model: one chat job, one repair round, then a clear error.

Each question is a generation job (``Task.CHAT``) like any other: durable, priced from the
catalog (tokens), and reused by request hash, so re-running an unchanged story asks the
model nothing and gets the same plan. Its jobs are adopted by the story's project so the
planner's cost is counted in the run's cost and its budget.

A plan that is still invalid after the repair round stops the run with one line naming
the model and the problem; both answers' jobs are marked failed (they were paid for, but
their output is not a plan), so running again asks the model afresh instead of reusing
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import update

from storyreel.catalog import Catalog, billing
from storyreel.catalog.pricing import format_usd
from storyreel.engine import jobs
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import submit_job, wait_job
from storyreel.errors import BudgetExceeded, FailureReason, InputError, ProviderJobError
from storyreel.providers.types import JobState
from storyreel.store.models import Job
from storyreel.vocabulary import GenerationRequest, Task

from .llm_planner import SYSTEM, PlanInvalid, parse_plan, plan_prompt, repair_prompt
from .requests import model_for
from .schema import StoryDef

RULES = "rules"


@dataclass(frozen=True)
class PlanOutcome:
    """A story ready to run (explicit beats when a model planned it), and what planning
    cost: the chat jobs and their summed cost (None when a job has no price)."""

    story: StoryDef
    planner: str = RULES
    job_ids: tuple[str, ...] = ()
    cost_usd: Decimal | None = field(default=Decimal(0))


def planner_of(story: StoryDef, override: str | None = None) -> str:
    """Who plans: ``--planner``, else the story's ``plan.planner``; a story with explicit
    beats needs no planner."""
    if story.beats:
        return RULES
    return (override or story.plan.planner).strip() or RULES


def chat_request(catalog: Catalog, model: str, prompt: str) -> GenerationRequest:
    """The chat job for one planning question, on ``model`` (an alias or full id)."""
    full = model_for(catalog, model, Task.CHAT)
    # json: the provider asks for a JSON object (response_format / responseMimeType)
    extra = {"system": SYSTEM, "json": True}
    return GenerationRequest(task=Task.CHAT, model=full, prompt=prompt, extra=extra)


def check_planner(catalog: Catalog, story: StoryDef, override: str | None = None) -> None:
    """Refuse a planner that is not a chat model before anything runs."""
    name = planner_of(story, override)
    if name != RULES:
        chat_request(catalog, name, "")


async def _ask(rt: Runtime, req: GenerationRequest) -> tuple[str, str]:
    """Run one chat job (or reuse its twin) and return (job id, answer text)."""
    job = await submit_job(req)
    result = await wait_job(job.id)
    job_id = str(result.get("job_id") or job.id)
    if result["status"] != "succeeded" or not result.get("outputs"):
        raise ProviderJobError(
            f"planner {req.model}: chat job {job_id} {result['status']}: "
            f"{result.get('error') or 'no answer'}",
            provider=req.provider,
            reason=FailureReason(result.get("reason") or FailureReason.MODEL_FAILED.value),
        )
    text = rt.assets.read(str(result["outputs"][0]), "text/plain").decode("utf-8", "replace")
    return job_id, text


async def _reject(rt: Runtime, job_ids: list[str], problem: str) -> None:
    """Answers that are not a plan must not be reused by the next run."""
    async with rt.db.session() as session:
        await session.execute(
            update(Job)
            .where(Job.id.in_(job_ids))
            .values(
                status=JobState.FAILED.value,
                error=f"not a valid plan: {problem}"[:2000],
                error_reason=FailureReason.MODEL_FAILED.value,
            )
        )


async def _cost(rt: Runtime, job_ids: list[str]) -> Decimal | None:
    total = Decimal(0)
    for job_id in job_ids:
        job = await jobs.get_job(rt.db, job_id)
        amount = job.cost_usd if job.cost_usd is not None else job.estimate_usd
        if amount is None:
            return None
        total += amount
    return total


def _check_budget(catalog: Catalog, req: GenerationRequest, budget: Decimal | None) -> None:
    """Planning runs before the story's project exists: its first question is held to the
    story's budget here (an unpriced local model passes)."""
    expected = billing.estimate(catalog, req)
    if budget is not None and expected is not None and expected > budget:
        raise BudgetExceeded(
            f"planning with {req.model} is estimated at {format_usd(expected)}, over the "
            f"budget of {format_usd(budget)}; raise --budget or use --planner rules"
        )


async def plan_with_model(
    rt: Runtime, catalog: Catalog, story: StoryDef, model: str, budget: Decimal | None = None
) -> PlanOutcome:
    """Ask ``model`` for a plan; on an invalid answer, ask once more with the problem."""
    first = chat_request(catalog, model, plan_prompt(story))
    _check_budget(catalog, first, budget)
    job_id, answer = await _ask(rt, first)
    asked = [job_id]
    try:
        planned = parse_plan(story, answer)
    except PlanInvalid as first:
        repair = chat_request(catalog, model, repair_prompt(story, answer, str(first)))
        job_id, answer = await _ask(rt, repair)
        asked.append(job_id)
        try:
            planned = parse_plan(story, answer)
        except PlanInvalid as second:
            await _reject(rt, asked, str(second))
            raise ProviderJobError(
                f"planner {repair.model} gave no valid plan after one repair round: "
                f"{second} (first answer: {first}); run again, or use --planner rules",
                provider=repair.provider,
            ) from None
    full = model_for(catalog, model, Task.CHAT)
    return PlanOutcome(planned, full, tuple(asked), await _cost(rt, asked))


async def resolve_plan(
    rt: Runtime,
    catalog: Catalog,
    story: StoryDef,
    override: str | None = None,
    *,
    budget: Decimal | None = None,
) -> PlanOutcome:
    """The story as it will run: as written when it has beats or the rules plan it, else
    with the beats a chat model planned."""
    name = planner_of(story, override)
    if name == RULES:
        return PlanOutcome(story)
    if not story.story.strip():
        raise InputError("the LLM planner needs 'story' text to plan")
    return await plan_with_model(rt, catalog, story, name, budget)


async def adopt_jobs(rt: Runtime, project_id: str, job_ids: tuple[str, ...]) -> None:
    """Count the planner's jobs in the project (its cost, its budget), unless they
    already belong to one (an identical plan made for another story file)."""
    if not job_ids:
        return
    async with rt.db.session() as session:
        await session.execute(
            update(Job)
            .where(Job.id.in_(job_ids), Job.project_id.is_(None))
            .values(project_id=project_id)
        )
