"""Price arithmetic, kept pure: numbers in, ``Decimal`` dollars out.

The price *rules* (``price_rules.py``) only pick which of these functions applies and with what
rates; everything that could be got subtly wrong (rounding megapixels, the Kling base
seconds, the Replicate hardware table, the subscription break-even) lives here, where it is
tested against the seed documents' own worked examples without any catalog data.

Money is ``Decimal`` from end to end: the prices in the seeds are exact cents and fractions
of cents, and ``0.1 + 0.2`` must not become a line on someone's invoice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Literal

USD_PLACES = Decimal("0.000001")
"""Estimates are quantised to a millionth of a dollar, the scale of ``jobs.estimate_usd``."""

MEGAPIXEL_PIXELS = 1024 * 1024
"""fal bills "1024x1024 = 1 MP" (seed 003), so a megapixel is 2**20 pixels, not 10**6."""

DEFAULT_SIZE = (1024, 1024)
"""The size an image job is priced at when neither the request nor the model names one."""

REPLICATE_HARDWARE_USD_PER_SECOND: Mapping[str, Decimal] = MappingProxyType(
    {
        # replicate.com/pricing as quoted in providers-fal-replicate.md B12 (and seed 002).
        "cpu": Decimal("0.000100"),
        "gpu-t4": Decimal("0.000225"),
        "gpu-a40-small": Decimal("0.000575"),
        "gpu-a40-large": Decimal("0.000725"),
        "gpu-l40s": Decimal("0.000975"),
        "gpu-2x-l40s": Decimal("0.001950"),
        "gpu-4x-l40s": Decimal("0.003900"),
        "gpu-8x-l40s": Decimal("0.007800"),
        "gpu-a100-large": Decimal("0.001400"),
        "gpu-a100-large-2x": Decimal("0.002800"),
        "gpu-a100-large-4x": Decimal("0.005600"),
        "gpu-a100-large-8x": Decimal("0.011200"),
        "gpu-h100": Decimal("0.001525"),
        # B12 quotes only the 1x and 8x H100 prices; 2x and 4x are the same per-GPU rate.
        "gpu-h100-2x": Decimal("0.003050"),
        "gpu-h100-4x": Decimal("0.006100"),
        "gpu-h100-8x": Decimal("0.012200"),
    }
)


def quantize(amount: Decimal) -> Decimal:
    """Round half up to the estimate scale (6 decimal places)."""
    return amount.quantize(USD_PLACES, rounding=ROUND_HALF_UP)


def seconds_decimal(seconds: float | Decimal) -> Decimal:
    """A duration as an exact Decimal (``2.5`` stays 2.5, never 2.4999...)."""
    return seconds if isinstance(seconds, Decimal) else Decimal(str(seconds))


def seconds_key(seconds: float | Decimal) -> str:
    """How a duration is written as a table key: ``5``, ``10``, ``2.5``."""
    text = format(seconds_decimal(seconds).normalize(), "f")
    return text


@dataclass(frozen=True)
class PriceInputs:
    """The facts about one job that any price rule may need, defaults already filled in."""

    count: int = 1
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]
    seconds: Decimal | None = None
    resolution: str | None = None
    audio: bool = False
    quality: str | None = None
    input_tokens: int | None = None
    characters: int | None = None
    """Length of the text a voice reads (text-to-speech)."""
    output_tokens: int | None = None


def megapixels(width: int, height: int, *, pixels_per_mp: int = MEGAPIXEL_PIXELS) -> int:
    """Billed megapixels: every started megapixel counts (1920x1080 is 2 MP, not 1.98)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    return max(1, math.ceil(width * height / pixels_per_mp))


def per_megapixel_usd(
    width: int,
    height: int,
    *,
    first_mp_usd: Decimal,
    extra_mp_usd: Decimal,
    pixels_per_mp: int = MEGAPIXEL_PIXELS,
) -> Decimal:
    """One image: the first megapixel at one rate, every further started one at another.

    Seed 003's examples: 1024x1024 is $0.03 and 1920x1080 is $0.045 for FLUX.2 pro.
    """
    billed = megapixels(width, height, pixels_per_mp=pixels_per_mp)
    return first_mp_usd + extra_mp_usd * (billed - 1)


def base_plus_per_second_usd(
    seconds: Decimal, *, base_seconds: Decimal, base_usd: Decimal, extra_per_second_usd: Decimal
) -> Decimal:
    """Kling's scheme: the base price covers the first ``base_seconds`` (a shorter clip still
    costs the base), every second beyond it costs ``extra_per_second_usd``."""
    extra = max(Decimal(0), seconds - base_seconds)
    return base_usd + extra * extra_per_second_usd


def gpu_seconds_usd(hardware: str, seconds: Decimal) -> Decimal:
    """A Replicate community model: billed per second of the hardware it runs on."""
    try:
        rate = REPLICATE_HARDWARE_USD_PER_SECOND[hardware]
    except KeyError:
        known = ", ".join(REPLICATE_HARDWARE_USD_PER_SECOND)
        raise ValueError(f"unknown Replicate hardware {hardware!r}; known: {known}") from None
    return rate * seconds


def per_token_usd(
    *,
    input_tokens: int,
    output_tokens: int,
    input_per_million: Decimal,
    output_per_million: Decimal,
) -> Decimal:
    """An LLM call: input and output tokens at their own $/1M rates."""
    million = Decimal(1_000_000)
    return (input_tokens * input_per_million + output_tokens * output_per_million) / million


# -- subscription vs pay per use (seed 000) ---------------------------------------------

Cheaper = Literal["subscription", "pay-per-use", "same"]


@dataclass(frozen=True)
class Row:
    """One line of the subscription comparison: a month with ``stories`` stories."""

    stories: int
    pay_per_use_usd: Decimal
    subscription_usd: Decimal
    cheaper: Cheaper

    @property
    def saving_usd(self) -> Decimal:
        """How much the cheaper option saves that month (never negative)."""
        return abs(self.pay_per_use_usd - self.subscription_usd)


def break_even(per_story: Decimal, monthly: Decimal) -> Decimal:
    """Stories per month at which a flat monthly plan costs the same as paying per use.

    Seed 000: $199 / $24.50 per story = 8.12 ("break-even ~8 stories per month"). A story
    that costs nothing per use never breaks even: ``Decimal('Infinity')``.
    """
    if per_story < 0 or monthly < 0:
        raise ValueError("prices cannot be negative")
    if per_story == 0:
        return Decimal("Infinity")
    return quantize(monthly / per_story)


def compare_subscription(
    per_story_usd: Decimal, monthly_usd: Decimal, stories_per_month: Sequence[int]
) -> list[Row]:
    """Pay-per-use against a flat plan for each monthly volume, in the order given."""
    rows = []
    for stories in stories_per_month:
        if stories < 0:
            raise ValueError(f"stories per month cannot be negative, got {stories}")
        pay = quantize(per_story_usd * stories)
        flat = quantize(monthly_usd)
        cheaper: Cheaper = (
            "same" if pay == flat else ("subscription" if flat < pay else "pay-per-use")
        )
        rows.append(Row(stories, pay, flat, cheaper))
    return rows


def format_usd(amount: Decimal) -> str:
    """``$24.50``, ``$0.045``, ``$0.000915``: at least cents, never trailing noise."""
    if amount.is_infinite():
        return "never"
    normal = quantize(amount).normalize()
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        normal = normal.quantize(Decimal("0.01"))
    sign = "-" if normal < 0 else ""
    return f"{sign}${abs(normal):f}"


__all__ = [
    "DEFAULT_SIZE",
    "MEGAPIXEL_PIXELS",
    "REPLICATE_HARDWARE_USD_PER_SECOND",
    "USD_PLACES",
    "Cheaper",
    "PriceInputs",
    "Row",
    "base_plus_per_second_usd",
    "break_even",
    "compare_subscription",
    "format_usd",
    "gpu_seconds_usd",
    "megapixels",
    "per_megapixel_usd",
    "per_token_usd",
    "quantize",
    "seconds_decimal",
    "seconds_key",
]
