"""What a job should cost, from the catalog; None for models the catalog does not price
(a test provider, a third-party plugin without catalog data)."""

from __future__ import annotations

from decimal import Decimal

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.providers.types import GenerationRequest


def estimate(settings: Settings, req: GenerationRequest) -> Decimal | None:
    catalog = Catalog.load(settings)
    if req.model not in catalog:
        return None
    return catalog.estimate(req)
