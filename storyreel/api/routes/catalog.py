"""``/api/v1/models`` and ``/api/v1/estimate``: the catalog and its prices, from the same
billing functions the CLI's ``storyreel cost`` uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from storyreel.catalog.schema import ModelEntry
from storyreel.services.generation import estimate as estimate_generation
from storyreel.vocabulary import Task

from ..schemas import EstimateOut, GenerateIn, ModelOut, ModelPage
from ..state import ApiState, api_state

router = APIRouter(tags=["catalog"])
State = Annotated[ApiState, Depends(api_state)]


def model_out(entry: ModelEntry) -> ModelOut:
    return ModelOut(
        id=entry.id,
        provider=entry.provider,
        title=entry.title,
        tasks=[t.value for t in entry.tasks],
        aliases=list(entry.aliases),
        price=entry.price.summary(),
    )


@router.get("/models", response_model=ModelPage)
async def list_models(state: State, task: Task | None = None) -> ModelPage:
    return ModelPage(models=[model_out(e) for e in state.catalog.models(task)])


@router.get("/models/{model_id:path}", response_model=ModelOut)
async def get_model(model_id: str, state: State) -> ModelOut:
    return model_out(state.catalog.resolve(model_id))


@router.post("/estimate", response_model=EstimateOut)
async def estimate(body: GenerateIn, state: State) -> EstimateOut:
    """What ``POST /api/v1/jobs`` with this body would cost; submits nothing. Reference
    URLs count as input images but are not fetched."""
    prepared = estimate_generation(
        state.catalog,
        kind=body.kind,
        model=body.model,
        prompt=body.prompt,
        references=len(body.reference_urls) + len(body.reference_assets),
        budget=body.budget_usd,
        **body.fields(),
    )
    return EstimateOut(
        model=prepared.entry.id,
        task=prepared.task.value,
        estimate_usd=prepared.estimate_usd,
        unpriced=prepared.estimate_usd is None,
    )
