"""Turning an API request into a queued job: its input images (uploads, URLs fetched
through the SSRF guard, stored assets), the catalog's checks and price, the budget."""

from __future__ import annotations

from collections.abc import Sequence

from storyreel.services.generation import prepare
from storyreel.services.library import get_asset
from storyreel.store.models import Job

from .schemas import GenerateIn
from .state import ApiState


async def create_generation(
    state: ApiState, body: GenerateIn, uploads: Sequence[tuple[bytes, str]] = ()
) -> Job:
    """Check, price and queue one generation; nothing is stored or bought when any check
    fails (input images are stored only once the request passed)."""
    files = list(uploads)
    for sha in body.reference_assets:
        asset = await get_asset(state.rt, sha)
        files.append((state.rt.assets.read(asset.sha256, asset.mime), asset.mime))
    for url in body.reference_urls:
        files.append(await state.fetch_image(url))
    prepared = prepare(
        state.catalog,
        kind=body.kind,
        model=body.model,
        prompt=body.prompt,
        files=files,
        budget=body.budget_usd,
        **body.fields(),
    )
    req = prepared.with_references(state.rt.assets)
    return await state.submit(req, estimate_usd=prepared.estimate_usd)
