"""What a catalog entry says about a model: what it can do, how long it takes, and which
price rule (``price_rules.py``) bills it.

Capabilities and latencies are data with a dated source, like prices. An entry is
``extra="forbid"``: a typo in a catalog file must fail on load. The validators here check
that the parts agree (every resolution a request can reach has a price, a default is one
of the allowed values), so that a loaded catalog can price every job it accepts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from storyreel.vocabulary import Task, parse_size

from .price_rules import (
    ANY,
    BasePlusPerSecondRule,
    FlatByDurationRule,
    PerImageByQualityRule,
    PerSecondRule,
    PriceRule,
    StrictModel,
)
from .pricing import seconds_key

_ID = r"^[a-z0-9_-]+:[^\s]+$"
_ALIAS = r"^[a-z0-9][a-z0-9._-]*$"
_TIMED_RULES = (PerSecondRule, BasePlusPerSecondRule)


class ModelEntry(StrictModel):
    """One model at one provider, as its wire protocol names it (``fal:fal-ai/flux-2-pro/edit``).

    Empty ``durations``/``resolutions``/``sizes``/``aspect_ratios`` mean "any / not a
    parameter". ``sizes`` and ``aspect_ratios`` are informational: provider adapters map a
    request to the nearest native size, so they are not enforced.
    """

    id: str = Field(pattern=_ID, max_length=200)
    aliases: list[Annotated[str, Field(pattern=_ALIAS, max_length=60)]] = Field(
        default_factory=list
    )
    title: str = Field(min_length=1, max_length=200)
    tasks: list[Task] = Field(min_length=1)
    max_references: int = Field(default=0, ge=0, le=64)
    max_count: int = Field(default=1, ge=1, le=16)
    sizes: list[str] = Field(default_factory=list)
    aspect_ratios: list[str] = Field(default_factory=list)
    durations: list[float] = Field(default_factory=list)
    resolutions: list[str] = Field(default_factory=list)
    audio: bool = False
    default_audio: bool = False
    default_duration: float | None = Field(default=None, gt=0)
    default_resolution: str | None = None
    default_size: str | None = None
    family: str | None = Field(default=None, pattern=_ALIAS, max_length=60)
    """The model itself, whoever serves it: the same Veo 3.1 Fast on fal, Replicate and
    Gemini is one family. Failover pinned to a family never changes the look of a story."""
    price: PriceRule
    price_source: str = Field(min_length=1)
    latency_seconds: float | None = Field(default=None, gt=0, le=7200)
    """Typical wall time from submit to done, at the default resolution and duration: the
    engine's first poll goes near it (``engine/schedule.py``) until finished jobs teach it
    better. Data with a dated source, like prices: models get faster and slower."""
    latency_by_resolution: dict[str, Annotated[float, Field(gt=0, le=7200)]] = Field(
        default_factory=dict
    )
    """Typical wall time per resolution where it differs (4K takes longer than 1K)."""
    latency_source: str = ""
    reference_mode: Literal["multi_reference", "ip_adapter", "init_image"] | None = None
    """How the model takes character references, where its tasks do not say it: fal's
    flux-general takes them as IP-Adapter images (story/consistency/strategies.py)."""
    reference_phrasing: str = ""
    """How the model's docs address a reference image in a prompt, with ``{n}`` (1-based
    position), ``{ordinal}`` (first, second, ...) and ``{name}``; empty: "image {n}"."""
    notes: str = ""

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, value: list[str]) -> list[str]:
        for size in value:
            parse_size(size)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.default_audio and not self.audio:
            raise ValueError("default_audio is set but the model cannot make audio")
        if self.durations and self.default_duration not in (None, *self.durations):
            raise ValueError(f"default_duration {self.default_duration:g} is not in durations")
        if self.resolutions and self.default_resolution not in (None, *self.resolutions):
            raise ValueError(f"default_resolution {self.default_resolution} is not in resolutions")
        if self.default_size is not None:
            parse_size(self.default_size)
        if isinstance(self.price, _TIMED_RULES) and self.default_duration is None:
            raise ValueError(f"a {self.price.kind} price needs a default_duration")
        self._every_resolution_priced()
        unknown = set(self.latency_by_resolution) - set(self.resolutions)
        if self.resolutions and unknown:
            raise ValueError(f"latency_by_resolution names unknown resolutions: {sorted(unknown)}")
        if isinstance(self.price, FlatByDurationRule) and self.price.durations:
            listed = {seconds_key(d) for d in self.durations}
            if listed and not listed <= set(self.price.durations):
                raise ValueError("every allowed duration needs a price in price.durations")
        return self

    def _every_resolution_priced(self) -> None:
        """A request can only ask for a listed resolution (or get the default), so each of
        those must have a price; with no resolutions at all the table needs a ``*`` key."""
        tables: list[dict[str, Decimal]] = []
        if isinstance(self.price, PerSecondRule):
            tables = [self.price.by_resolution]
            if self.price.by_resolution_audio:
                tables.append(self.price.by_resolution_audio)
        elif isinstance(self.price, FlatByDurationRule) and self.price.by_resolution:
            tables = [self.price.by_resolution]
        reachable = self.resolutions or [self.default_resolution or "(none)"]
        for table in tables:
            if ANY in table:
                continue
            unpriced = [r for r in reachable if r not in table]
            if unpriced:
                raise ValueError(f"resolutions without a price: {', '.join(unpriced)}")

    def typical_latency(
        self, resolution: str | None = None, duration: float | None = None
    ) -> float | None:
        """Seconds a job usually takes, or None when the catalog does not say. A video's
        figure scales with its length: generation time grows with the frames made."""
        wanted = resolution or self.default_resolution or ""
        seconds = self.latency_by_resolution.get(wanted, self.latency_seconds)
        if seconds is None:
            return None
        if duration and self.default_duration and self.output_kind == "video":
            seconds *= duration / self.default_duration
        return seconds

    @property
    def provider(self) -> str:
        return self.id.split(":", 1)[0]

    @property
    def model_name(self) -> str:
        return self.id.split(":", 1)[1]

    @property
    def family_name(self) -> str:
        """The declared family, else the first alias, else the id."""
        return self.family or (self.aliases[0] if self.aliases else self.id)

    @property
    def output_kind(self) -> str:
        return self.tasks[0].output_kind

    @property
    def qualities(self) -> list[str]:
        return self.price.qualities if isinstance(self.price, PerImageByQualityRule) else []

    @property
    def default_quality(self) -> str | None:
        if isinstance(self.price, PerImageByQualityRule):
            return self.price.default_quality
        return None


__all__ = ["ModelEntry"]
