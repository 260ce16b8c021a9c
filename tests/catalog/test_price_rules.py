"""The price rules on their own, without catalog data: which rate each shape picks for a
job, what it refuses on load, and that ``kind`` alone chooses the rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from storyreel.catalog.price_rules import (
    FlatByDurationRule,
    PerCharacterRule,
    PerImageByQualityRule,
    PerMegapixelRule,
    PerSecondRule,
    PerTokenRule,
    PriceRule,
    SubscriptionRule,
)
from storyreel.catalog.pricing import PriceInputs
from storyreel.errors import InputError

D = Decimal
FIVE_SECONDS = D(5)


def test_per_second_audio_comes_from_its_table_or_its_multiplier_or_is_free() -> None:
    table = PerSecondRule(by_resolution={"720p": D("0.2")}, by_resolution_audio={"720p": D("0.4")})
    scaled = PerSecondRule(by_resolution={"720p": D("0.2")}, audio_multiplier=D("1.5"))
    plain = PerSecondRule(by_resolution={"720p": D("0.2")})
    job = PriceInputs(seconds=FIVE_SECONDS, resolution="720p", audio=True)
    assert [r.cost(job) for r in (table, scaled, plain)] == [D("2.0"), D("1.50"), D("1.0")]
    with pytest.raises(ValidationError, match="not both"):
        PerSecondRule(
            by_resolution={"720p": D("0.2")},
            by_resolution_audio={"720p": D("0.4")},
            audio_multiplier=D(2),
        )


def test_a_star_rate_prices_any_resolution_and_a_missing_one_names_the_priced() -> None:
    assert PerSecondRule(by_resolution={"*": D("0.1")}).rate("4k", audio=False) == D("0.1")
    rule = PerSecondRule(by_resolution={"720p": D("0.1"), "1080p": D("0.2")})
    with pytest.raises(InputError, match="no per-second price for resolution 4k; priced: 720p"):
        rule.cost(PriceInputs(seconds=FIVE_SECONDS, resolution="4k"))
    with pytest.raises(InputError, match="needs a duration"):
        rule.cost(PriceInputs(resolution="720p"))


def test_flat_by_duration_keys_are_normalised_seconds() -> None:
    rule = FlatByDurationRule.model_validate({"durations": {"5.0": "0.5", "10": "1"}})
    assert list(rule.durations) == ["5", "10"]
    assert rule.cost(PriceInputs(seconds=FIVE_SECONDS, count=2)) == D("1.0")
    with pytest.raises(InputError, match="no price for a 7 s clip; priced: 5, 10 s"):
        rule.cost(PriceInputs(seconds=D(7)))
    with pytest.raises(ValidationError, match="duration keys are seconds"):
        FlatByDurationRule.model_validate({"durations": {"five": "0.5"}})


def test_per_token_uses_the_expected_counts_unless_the_job_has_its_own() -> None:
    rule = PerTokenRule(
        input_per_million=D(1),
        output_per_million=D(10),
        expected_input_tokens=1_000_000,
        expected_output_tokens=100_000,
    )
    assert rule.cost(PriceInputs()) == D(2)
    assert rule.cost(PriceInputs(input_tokens=0, output_tokens=1_000_000)) == D(10)


def test_quality_pricing_takes_the_native_size_nearest_in_aspect() -> None:
    rule = PerImageByQualityRule.model_validate(
        {
            "by_quality": {"low": "0.01", "high": "0.17"},
            "default_quality": "high",
            "by_size": {"1024x1536": {"low": "0.016", "high": "0.25"}},
        }
    )
    portrait = PriceInputs(width=720, height=1280, quality="low")
    assert rule.cost(portrait) == D("0.016")
    assert rule.cost(PriceInputs(width=512, height=512)) == D("0.17")
    with pytest.raises(InputError, match="quality 'ultra' is not one of low, high"):
        rule.cost(PriceInputs(quality="ultra"))
    with pytest.raises(ValidationError, match="must price the same qualities"):
        PerImageByQualityRule.model_validate(
            {
                "by_quality": {"low": "0.01", "high": "0.17"},
                "default_quality": "high",
                "by_size": {"1024x1536": {"low": "0.016"}},
            }
        )


def test_a_typo_in_a_rule_fails_on_load() -> None:
    with pytest.raises(ValidationError, match="frist_mp_usd"):
        PerMegapixelRule.model_validate(
            {"first_mp_usd": "0.03", "extra_mp_usd": "0.015", "frist_mp_usd": "0.03"}
        )


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ({"kind": "per_character", "per_million_usd": "15"}, PerCharacterRule),
        ({"kind": "subscription", "monthly_usd": "199", "plan": "pro"}, SubscriptionRule),
    ],
)
def test_kind_alone_chooses_the_rule(raw: dict[str, str], rule: type) -> None:
    assert type(TypeAdapter(PriceRule).validate_python(raw)) is rule
