"""What a job costs: the one place the engine, the CLI and the API ask.

Three questions, one answer each:

- ``estimate``: before buying, the catalog price of the request as the model will really
  bill it (a fixed-duration model bills the length it produces, see ``billed_duration``).
- ``final_cost``: after the job, what was really spent. A submit the provider refused
  before accepting work costs nothing. Where the provider reports what it metered (its own
  charge, GPU seconds, tokens) that is the cost; otherwise the catalog price of what was
  produced (the seconds, count and size the provider reports, else what was asked). A job
  that failed after it was accepted costs what the provider metered, and nothing when it
  metered nothing: providers do not bill a generation that produced no output unless they
  say they did (Replicate bills a failed prediction's ``predict_time``).
- ``spend``: the sum that budgets and reports read, from each job's final cost, or its
  reservation while it runs.

Models the catalog does not know (a test provider, a third-party plugin without catalog
data) have no price: ``None``, never a guess.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from storyreel.errors import InputError
from storyreel.providers.types import Usage
from storyreel.vocabulary import GenerationRequest

from .catalog import Catalog, price_inputs
from .price_rules import GpuSecondsRule, PerTokenRule
from .pricing import PriceInputs, gpu_seconds_usd, per_token_usd, quantize, seconds_decimal
from .schema import ModelEntry

ZERO = Decimal(0)


def _entry(catalog: Catalog, req: GenerationRequest) -> ModelEntry | None:
    return catalog.resolve(req.model, req.task) if req.model in catalog else None


def estimate(catalog: Catalog, req: GenerationRequest) -> Decimal | None:
    """The expected cost of ``req`` in USD (6 places), or None for an unpriced model."""
    if _entry(catalog, req) is None:
        return None
    return catalog.estimate(req)


def metered_cost(entry: ModelEntry, usage: Usage) -> Decimal | None:
    """The cost the provider's own meter gives, where it gives one: its charge, GPU seconds
    on a GPU-time model, tokens on a token model. None when the usage says nothing that
    this model is billed by."""
    if usage.cost_usd is not None:
        return quantize(usage.cost_usd)
    rule = entry.price
    if isinstance(rule, GpuSecondsRule) and usage.gpu_seconds is not None:
        return quantize(gpu_seconds_usd(rule.hardware, seconds_decimal(usage.gpu_seconds)))
    if isinstance(rule, PerTokenRule) and (
        usage.input_tokens is not None or usage.output_tokens is not None
    ):
        return quantize(
            per_token_usd(
                input_tokens=usage.input_tokens or 0,
                output_tokens=usage.output_tokens or 0,
                input_per_million=rule.input_per_million,
                output_per_million=rule.output_per_million,
            )
        )
    return None


def produced_inputs(entry: ModelEntry, req: GenerationRequest, usage: Usage) -> PriceInputs:
    """The price facts of what was produced: the request's, with whatever the provider
    reported it actually made in their place. A fixed-duration model bills the length it
    was asked for (a "5 s" clip of 5.04 s is a 5 s clip), so only a free-length model's
    produced seconds replace the asked ones."""
    facts = price_inputs(entry, req)
    changes: dict[str, object] = {}
    if usage.seconds is not None and facts.seconds is not None and not entry.durations:
        changes["seconds"] = seconds_decimal(round(usage.seconds, 3))
    if usage.count is not None and usage.count > 0:
        changes["count"] = usage.count
    if usage.width is not None and usage.height is not None:
        changes["width"], changes["height"] = usage.width, usage.height
    return replace(facts, **changes) if changes else facts  # type: ignore[arg-type]


def final_cost(
    catalog: Catalog,
    req: GenerationRequest,
    *,
    accepted: bool,
    succeeded: bool,
    usage: Usage | None = None,
) -> Decimal | None:
    """What the job really cost (see the module docstring for the rules)."""
    if not accepted:
        return ZERO
    entry = _entry(catalog, req)
    if entry is None:
        return None
    metered = metered_cost(entry, usage) if usage is not None else None
    if metered is not None:
        return metered
    if not succeeded:
        return ZERO
    if usage is None:
        return catalog.estimate(req)
    try:
        return quantize(entry.price.cost(produced_inputs(entry, req, usage)))
    except (ArithmeticError, ValueError, InputError):
        # A produced length the price table has no row for (a flat-by-duration model
        # returning 5.04 s): the price of what was asked is what the provider bills.
        return catalog.estimate(req)


__all__ = ["estimate", "final_cost", "metered_cost", "produced_inputs"]
