"""Per-character voice pricing: the bill is the text's length at the listed rate, once per
reading, and an empty or unknown text costs nothing (rather than failing the estimate)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from storyreel.catalog.audio_rules import PerCharacterRule
from storyreel.catalog.pricing import PriceInputs


def test_tts_1_reads_a_thousand_characters_for_a_cent_and_a_half() -> None:
    rule = PerCharacterRule(per_million_usd=Decimal("15"))
    assert rule.cost(PriceInputs(characters=1000)) == Decimal("0.015")


def test_each_output_is_a_reading_of_its_own() -> None:
    rule = PerCharacterRule(per_million_usd=Decimal("30"))
    assert rule.cost(PriceInputs(characters=500, count=3)) == Decimal("0.045")


def test_no_text_costs_nothing() -> None:
    rule = PerCharacterRule(per_million_usd=Decimal("15"))
    assert rule.cost(PriceInputs(characters=None)) == 0
    assert rule.cost(PriceInputs(characters=0)) == 0


def test_summary_names_the_unit() -> None:
    assert PerCharacterRule(per_million_usd=Decimal("15")).summary() == ("$15.00 per 1M characters")


@pytest.mark.parametrize("bad", [{"per_million_usd": "-1"}, {"per_million_usd": "1", "x": 1}])
def test_a_negative_price_or_an_unknown_field_is_refused(bad: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        PerCharacterRule.model_validate(bad)
