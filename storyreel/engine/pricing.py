"""What a job should cost, from the catalog's one pricing module; None for models the
catalog does not price (a test provider, a third-party plugin without catalog data)."""

from __future__ import annotations

from decimal import Decimal

from storyreel.catalog import Catalog, billing
from storyreel.config import Settings
from storyreel.vocabulary import GenerationRequest


def estimate(settings: Settings, req: GenerationRequest) -> Decimal | None:
    return billing.estimate(Catalog.load(settings), req)
