"""What a bulk's dry run looks like on every face: the matrix and its price.

Its own module, apart from ``services.bulk`` (which needs the engine, SQLAlchemy and DBOS),
so ``storyreel.cli.schemas`` can name these shapes without importing any of that:
``storyreel --help`` stays fast.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class BulkItemOut(BaseModel):
    """One cell of the matrix: an image and a prompt, priced."""

    model_config = ConfigDict(extra="forbid")

    position: int
    image: str
    prompt_number: int
    prompt: str
    estimate_usd: Decimal | None
    done: bool = False
    """An earlier run already made this video: a run skips it (nothing is bought)."""


class BulkPlanOut(BaseModel):
    """The dry run: the matrix and its price; nothing was created or submitted."""

    model_config = ConfigDict(extra="forbid")

    key: str
    """Hash of the inputs: the same bulk later resumes the same jobs."""
    model: str
    resolution: str | None
    duration: float | None
    one_to_one: bool
    images: int
    prompts: int
    jobs: int
    total_usd: Decimal | None
    done: int = 0
    """Distinct jobs already finished by an earlier run (the CLI's dry run, which opens no
    database, does not look and says 0)."""
    to_buy_usd: Decimal | None = None
    """``total_usd`` less what is already done: what a run would still spend."""
    items: list[BulkItemOut]
