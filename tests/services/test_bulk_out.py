"""A bulk's dry run as every face shows it: strict shapes, exact prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from storyreel.services.bulk_out import BulkItemOut, BulkPlanOut


def plan(**extra: object) -> BulkPlanOut:
    item = BulkItemOut(
        position=0, image="a.png", prompt_number=1, prompt="waves", estimate_usd=Decimal("0.35")
    )
    return BulkPlanOut(
        key="k",
        model="fal:kling",
        resolution=None,
        duration=5.0,
        one_to_one=False,
        images=1,
        prompts=1,
        jobs=1,
        total_usd=Decimal("0.35"),
        items=[item],
        **extra,  # type: ignore[arg-type]
    )


def test_a_plan_round_trips_through_json_with_exact_prices() -> None:
    made = plan()
    again = BulkPlanOut.model_validate_json(made.model_dump_json())
    assert again == made
    assert again.total_usd == Decimal("0.35") and again.items[0].estimate_usd == Decimal("0.35")
    assert again.done == 0 and again.to_buy_usd is None and not again.items[0].done


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="surprise"):
        plan(surprise=1)
