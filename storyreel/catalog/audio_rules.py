"""Price shapes of voice models: text-to-speech billed by the characters it reads.

OpenAI's tts-1 and tts-1-hd bill per million input characters (and ElevenLabs-style
voices per thousand); the text is known before the call, so the estimate is the bill.
Voices billed by the second of audio use ``PerSecondRule`` with a ``*`` resolution.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .pricing import PriceInputs, format_usd

_Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=8)]
MILLION = Decimal(1_000_000)


class PerCharacterRule(BaseModel):
    """$ per 1M characters of input text (``count`` times: one reading per output)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["per_character"] = "per_character"
    per_million_usd: _Money

    def cost(self, job: PriceInputs) -> Decimal:
        return self.per_million_usd * Decimal(job.characters or 0) / MILLION * job.count

    def summary(self) -> str:
        return f"{format_usd(self.per_million_usd)} per 1M characters"
