"""The pure price arithmetic, checked against the seed documents' own worked examples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storyreel.catalog.pricing import (
    REPLICATE_HARDWARE_USD_PER_SECOND,
    Row,
    base_plus_per_second_usd,
    break_even,
    compare_subscription,
    format_usd,
    gpu_seconds_usd,
    megapixels,
    per_megapixel_usd,
    per_token_usd,
    quantize,
    seconds_key,
)

D = Decimal


@pytest.mark.parametrize(
    ("width", "height", "billed"),
    [
        (1024, 1024, 1),  # seed 003: "1024x1024 = 1MP"
        (1920, 1080, 2),  # 2,073,600 px = 1.98 MP -> 2
        (512, 512, 1),  # less than one MP still bills one
        (1025, 1024, 2),  # one pixel row over starts a second MP
        (2048, 2048, 4),
    ],
)
def test_megapixels_count_every_started_megapixel(width: int, height: int, billed: int) -> None:
    assert megapixels(width, height) == billed


@pytest.mark.parametrize(
    ("width", "height", "usd"),
    [(1024, 1024, D("0.03")), (1920, 1080, D("0.045")), (2048, 2048, D("0.075"))],
)
def test_flux_2_pro_megapixel_examples_of_seed_003(width: int, height: int, usd: Decimal) -> None:
    price = per_megapixel_usd(width, height, first_mp_usd=D("0.03"), extra_mp_usd=D("0.015"))
    assert price == usd


def test_flux_general_is_a_flat_rate_per_megapixel() -> None:
    one = per_megapixel_usd(1024, 1024, first_mp_usd=D("0.075"), extra_mp_usd=D("0.075"))
    assert one == D("0.075")
    assert per_megapixel_usd(1920, 1080, first_mp_usd=D("0.075"), extra_mp_usd=D("0.075")) == D(
        "0.150"
    )


@pytest.mark.parametrize(
    ("seconds", "base", "extra", "usd"),
    [
        ("5", "0.35", "0.07", "0.35"),
        ("10", "0.35", "0.07", "0.70"),
        ("5", "1.40", "0.28", "1.40"),
        ("10", "1.40", "0.28", "2.80"),
        ("10", "0.25", "0.05", "0.50"),
        ("3", "0.35", "0.07", "0.35"),  # shorter than the base still pays the base
    ],
)
def test_kling_base_plus_per_second(seconds: str, base: str, extra: str, usd: str) -> None:
    price = base_plus_per_second_usd(
        D(seconds), base_seconds=D(5), base_usd=D(base), extra_per_second_usd=D(extra)
    )
    assert price == D(usd)


def test_replicate_hardware_table_matches_seed_002_and_b12() -> None:
    expected = {
        "cpu": "0.000100",
        "gpu-t4": "0.000225",
        "gpu-a40-small": "0.000575",
        "gpu-a40-large": "0.000725",
        "gpu-l40s": "0.000975",
        "gpu-a100-large": "0.001400",
        "gpu-h100": "0.001525",
    }
    for sku, rate in expected.items():
        assert REPLICATE_HARDWARE_USD_PER_SECOND[sku] == D(rate)
    # seed 002 also quotes hourly prices: $0.81, $2.07, $5.04, $5.49
    for sku, hourly in {
        "gpu-t4": "0.81",
        "gpu-a40-small": "2.07",
        "gpu-a100-large": "5.04",
        "gpu-h100": "5.49",
    }.items():
        assert REPLICATE_HARDWARE_USD_PER_SECOND[sku] * 3600 == D(hourly)


def test_gpu_seconds() -> None:
    assert gpu_seconds_usd("gpu-a40-small", D("3.5")) == D("0.0020125")
    with pytest.raises(ValueError, match="unknown Replicate hardware 'gpu-x'"):
        gpu_seconds_usd("gpu-x", D(1))


def test_per_token_rates_are_per_million() -> None:
    both = dict(input_per_million=D("5.00"), output_per_million=D("15.00"))
    assert per_token_usd(input_tokens=1_000_000, output_tokens=0, **both) == D("5")
    assert per_token_usd(input_tokens=0, output_tokens=1_000_000, **both) == D("15")
    assert per_token_usd(input_tokens=1000, output_tokens=500, **both) == D("0.0125")


def test_break_even_of_seed_000() -> None:
    even = break_even(D("24.50"), D("199"))
    assert even == D("8.122449")
    assert f"{even:.1f}" == "8.1"
    assert break_even(D(0), D(199)).is_infinite()
    with pytest.raises(ValueError):
        break_even(D(-1), D(199))


def test_compare_subscription_reproduces_seed_000_table() -> None:
    rows = compare_subscription(D("24.50"), D("199"), [1, 8, 10, 20])
    assert rows == [
        Row(1, D("24.50"), D("199"), "pay-per-use"),
        Row(8, D("196.00"), D("199"), "pay-per-use"),
        Row(10, D("245.00"), D("199"), "subscription"),
        Row(20, D("490.00"), D("199"), "subscription"),
    ]
    assert rows[2].saving_usd == D("46")
    assert compare_subscription(D("19.90"), D("199"), [10])[0].cheaper == "same"
    with pytest.raises(ValueError):
        compare_subscription(D(1), D(1), [-1])


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("24.5", "$24.50"),
        ("199", "$199.00"),
        ("0.045", "$0.045"),
        ("0.000915", "$0.000915"),
        ("0.0020125", "$0.002013"),
        ("0", "$0.00"),
        ("Infinity", "never"),
    ],
)
def test_format_usd(amount: str, text: str) -> None:
    assert format_usd(D(amount)) == text


def test_quantize_and_seconds_key() -> None:
    assert quantize(D("0.1234565")) == D("0.123457")
    assert seconds_key(5.0) == "5"
    assert seconds_key(2.5) == "2.5"
    assert seconds_key(D("10")) == "10"
