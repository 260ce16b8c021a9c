"""The shapes a price can take, one rule class per shape, and ``PriceRule``, their union.

Prices are *data* with a dated source because they change every few months and differ per
provider for the same model; the code only knows the shapes a price can take (the
``PriceRule`` union, discriminated on ``kind``). Every rule is ``extra="forbid"``: a typo in
a catalog file (``frist_mp_usd``) must fail on load, not silently price a job at $0. The
arithmetic itself lives in ``pricing.py``; a rule only picks which function applies and
with what rates, and says in one line what it charges (``summary``).

Money fields accept strings or numbers; write prices as strings (``usd = "0.03"``) in TOML
so that what is on the page is exactly what is charged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storyreel.errors import InputError
from storyreel.vocabulary import nearest_size, parse_size

from . import pricing
from .audio_rules import PerCharacterRule
from .pricing import PriceInputs, format_usd, seconds_key

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=8)]
ANY = "*"  # a price-table key that matches every resolution (a model with one flat rate)


class StrictModel(BaseModel):
    """A catalog model that refuses unknown fields (a typo fails on load) and is immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _rate(table: dict[str, Decimal], resolution: str | None, what: str) -> Decimal:
    if resolution is not None and resolution in table:
        return table[resolution]
    if ANY in table:
        return table[ANY]
    known = ", ".join(k for k in table if k != ANY)
    raise InputError(f"no {what} price for resolution {resolution or 'unset'}; priced: {known}")


def _table_summary(table: dict[str, Decimal], unit: str) -> str:
    if set(table) == {ANY}:
        return f"{format_usd(table[ANY])}{unit}"
    return ", ".join(f"{res} {format_usd(usd)}{unit}" for res, usd in table.items())


def _require_seconds(job: PriceInputs) -> Decimal:
    if job.seconds is None:
        raise InputError("this price needs a duration; give --duration")
    return job.seconds


class FreeRule(StrictModel):
    """Runs on this machine or is otherwise not billed per job."""

    kind: Literal["free"] = "free"

    def cost(self, job: PriceInputs) -> Decimal:
        return Decimal(0)

    def summary(self) -> str:
        return "free"


class PerImageRule(StrictModel):
    """A flat price per output (image or video), optionally by resolution (1K/2K/4K)."""

    kind: Literal["per_image"] = "per_image"
    usd: Money
    by_resolution: dict[str, Money] = Field(default_factory=dict)

    def cost(self, job: PriceInputs) -> Decimal:
        rate = self.by_resolution.get(job.resolution or "", self.usd)
        return rate * job.count

    def summary(self) -> str:
        extra = ", ".join(f"{r} {format_usd(u)}" for r, u in self.by_resolution.items())
        return f"{format_usd(self.usd)}/image" + (f" ({extra})" if extra else "")


class PerMegapixelRule(StrictModel):
    """fal's image pricing: first megapixel at one rate, each further started MP at another."""

    kind: Literal["per_megapixel"] = "per_megapixel"
    first_mp_usd: Money
    extra_mp_usd: Money
    pixels_per_mp: int = Field(default=pricing.MEGAPIXEL_PIXELS, gt=0)

    def cost(self, job: PriceInputs) -> Decimal:
        one = pricing.per_megapixel_usd(
            job.width,
            job.height,
            first_mp_usd=self.first_mp_usd,
            extra_mp_usd=self.extra_mp_usd,
            pixels_per_mp=self.pixels_per_mp,
        )
        return one * job.count

    def summary(self) -> str:
        if self.first_mp_usd == self.extra_mp_usd:
            return f"{format_usd(self.first_mp_usd)}/MP"
        return (
            f"{format_usd(self.first_mp_usd)} first MP + {format_usd(self.extra_mp_usd)}/extra MP"
        )


class PerImageByQualityRule(StrictModel):
    """GPT-image pricing: per image by ``quality`` (``extra["quality"]``) and size.

    ``by_quality`` is the price at ``base_size``; ``by_size`` holds other native sizes. A
    request is priced at the native size nearest in aspect ratio to what it asks for.
    """

    kind: Literal["per_image_by_quality"] = "per_image_by_quality"
    by_quality: dict[str, Money] = Field(min_length=1)
    default_quality: str
    base_size: str = "1024x1024"
    by_size: dict[str, dict[str, Money]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.default_quality not in self.by_quality:
            raise ValueError(f"default_quality {self.default_quality!r} is not in by_quality")
        for size, table in {self.base_size: self.by_quality, **self.by_size}.items():
            parse_size(size)
            if set(table) != set(self.by_quality):
                raise ValueError(f"size {size} must price the same qualities as by_quality")
        return self

    @property
    def qualities(self) -> list[str]:
        return list(self.by_quality)

    def cost(self, job: PriceInputs) -> Decimal:
        quality = job.quality or self.default_quality
        if quality not in self.by_quality:
            raise InputError(f"quality {quality!r} is not one of {', '.join(self.by_quality)}")
        tables = {self.base_size: self.by_quality, **self.by_size}
        size = nearest_size(job.width, job.height, list(tables))
        return tables[size][quality] * job.count

    def summary(self) -> str:
        prices = ", ".join(f"{q} {format_usd(u)}" for q, u in self.by_quality.items())
        return f"{prices}/image (default {self.default_quality})"


class PerSecondRule(StrictModel):
    """Video billed per second of output, by resolution, with audio priced separately.

    With audio on, ``by_resolution_audio`` wins; else ``audio_multiplier`` scales the silent
    rate; with neither, audio costs nothing extra (the model always makes sound, or the
    source gives one price). Seed 004's Veo 3.1: $0.20/s silent, $0.40/s with audio.
    """

    kind: Literal["per_second"] = "per_second"
    by_resolution: dict[str, Money] = Field(min_length=1)
    by_resolution_audio: dict[str, Money] = Field(default_factory=dict)
    audio_multiplier: Decimal | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_audio_rule(self) -> Self:
        if self.by_resolution_audio and self.audio_multiplier is not None:
            raise ValueError("give by_resolution_audio or audio_multiplier, not both")
        return self

    def rate(self, resolution: str | None, *, audio: bool) -> Decimal:
        if audio and self.by_resolution_audio:
            return _rate(self.by_resolution_audio, resolution, "audio")
        silent = _rate(self.by_resolution, resolution, "per-second")
        if audio and self.audio_multiplier is not None:
            return silent * self.audio_multiplier
        return silent

    def cost(self, job: PriceInputs) -> Decimal:
        seconds = _require_seconds(job)
        return self.rate(job.resolution, audio=job.audio) * seconds * job.count

    def summary(self) -> str:
        text = _table_summary(self.by_resolution, "/s")
        if self.by_resolution_audio:
            text += f"; audio {_table_summary(self.by_resolution_audio, '/s')}"
        elif self.audio_multiplier is not None:
            text += f"; audio x{self.audio_multiplier}"
        return text

    def priced_resolutions(self) -> set[str]:
        return set(self.by_resolution) | set(self.by_resolution_audio)


class BasePlusPerSecondRule(StrictModel):
    """Kling on fal: a base price for the first ``base_seconds``, then $/extra second."""

    kind: Literal["base_plus_per_second"] = "base_plus_per_second"
    base_seconds: Decimal = Field(gt=0)
    base_usd: Money
    extra_per_second_usd: Money

    def cost(self, job: PriceInputs) -> Decimal:
        one = pricing.base_plus_per_second_usd(
            _require_seconds(job),
            base_seconds=self.base_seconds,
            base_usd=self.base_usd,
            extra_per_second_usd=self.extra_per_second_usd,
        )
        return one * job.count

    def summary(self) -> str:
        return (
            f"{format_usd(self.base_usd)} first {seconds_key(self.base_seconds)} s "
            f"+ {format_usd(self.extra_per_second_usd)}/extra s"
        )


class FlatByDurationRule(StrictModel):
    """A flat price per video: one ``usd`` for any clip, or a table keyed by resolution
    (Wan 2.1 on fal: $0.20 at 480p, $0.40 at 720p) or by duration in seconds."""

    kind: Literal["flat_by_duration"] = "flat_by_duration"
    usd: Money | None = None
    by_resolution: dict[str, Money] = Field(default_factory=dict)
    durations: dict[str, Money] = Field(default_factory=dict)

    @field_validator("durations")
    @classmethod
    def _numeric_keys(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        normal = {}
        for key, usd in value.items():
            try:
                normal[seconds_key(Decimal(key))] = usd
            except ArithmeticError:
                raise ValueError(f"duration keys are seconds, e.g. '5'; got {key!r}") from None
        return normal

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [self.usd is not None, bool(self.by_resolution), bool(self.durations)]
        if sum(given) != 1:
            raise ValueError("give exactly one of usd, by_resolution or durations")
        return self

    def cost(self, job: PriceInputs) -> Decimal:
        if self.usd is not None:
            return self.usd * job.count
        if self.by_resolution:
            return _rate(self.by_resolution, job.resolution, "flat") * job.count
        seconds = _require_seconds(job)
        key = seconds_key(seconds)
        if key not in self.durations:
            raise InputError(f"no price for a {key} s clip; priced: {', '.join(self.durations)} s")
        return self.durations[key] * job.count

    def summary(self) -> str:
        if self.usd is not None:
            return f"{format_usd(self.usd)}/video"
        if self.by_resolution:
            return _table_summary(self.by_resolution, "/video")
        return ", ".join(f"{s} s {format_usd(u)}" for s, u in self.durations.items())


class GpuSecondsRule(StrictModel):
    """A Replicate community model: hardware $/s times the expected run time."""

    kind: Literal["gpu_seconds"] = "gpu_seconds"
    hardware: str
    expected_seconds: Decimal = Field(gt=0)

    @field_validator("hardware")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in pricing.REPLICATE_HARDWARE_USD_PER_SECOND:
            known = ", ".join(pricing.REPLICATE_HARDWARE_USD_PER_SECOND)
            raise ValueError(f"unknown Replicate hardware {value!r}; known: {known}")
        return value

    def cost(self, job: PriceInputs) -> Decimal:
        return pricing.gpu_seconds_usd(self.hardware, self.expected_seconds) * job.count

    def summary(self) -> str:
        rate = pricing.REPLICATE_HARDWARE_USD_PER_SECOND[self.hardware]
        return f"{self.hardware} {format_usd(rate)}/s x ~{self.expected_seconds} s"


class PerTokenRule(StrictModel):
    """An LLM: $ per 1M input and output tokens; a job without token counts is priced at
    the expected counts (``extra["input_tokens"]``/``["output_tokens"]`` override them)."""

    kind: Literal["per_token"] = "per_token"
    input_per_million: Money
    output_per_million: Money
    expected_input_tokens: int = Field(ge=0)
    expected_output_tokens: int = Field(ge=0)

    def cost(self, job: PriceInputs) -> Decimal:
        return (
            pricing.per_token_usd(
                input_tokens=(
                    job.input_tokens if job.input_tokens is not None else self.expected_input_tokens
                ),
                output_tokens=(
                    job.output_tokens
                    if job.output_tokens is not None
                    else self.expected_output_tokens
                ),
                input_per_million=self.input_per_million,
                output_per_million=self.output_per_million,
            )
            * job.count
        )

    def summary(self) -> str:
        return (
            f"{format_usd(self.input_per_million)} in / "
            f"{format_usd(self.output_per_million)} out per 1M tokens"
        )


class SubscriptionRule(StrictModel):
    """Covered by a monthly plan: a job costs nothing more (see ``storyreel cost compare``)."""

    kind: Literal["subscription"] = "subscription"
    monthly_usd: Money
    plan: str = Field(min_length=1)
    included: Literal["unlimited"] = "unlimited"
    concurrency: int | None = Field(default=None, ge=1)

    def cost(self, job: PriceInputs) -> Decimal:
        return Decimal(0)

    def summary(self) -> str:
        parallel = f", {self.concurrency} parallel" if self.concurrency else ""
        return f"plan {self.plan} {format_usd(self.monthly_usd)}/month ({self.included}{parallel})"


PriceRule = Annotated[
    FreeRule
    | PerImageRule
    | PerMegapixelRule
    | PerImageByQualityRule
    | PerSecondRule
    | BasePlusPerSecondRule
    | FlatByDurationRule
    | GpuSecondsRule
    | PerTokenRule
    | PerCharacterRule
    | SubscriptionRule,
    Field(discriminator="kind"),
]

__all__ = [
    "ANY",
    "BasePlusPerSecondRule",
    "FlatByDurationRule",
    "FreeRule",
    "GpuSecondsRule",
    "Money",
    "PerCharacterRule",
    "PerImageByQualityRule",
    "PerImageRule",
    "PerMegapixelRule",
    "PerSecondRule",
    "PerTokenRule",
    "PriceRule",
    "StrictModel",
    "SubscriptionRule",
]
