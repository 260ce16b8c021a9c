"""The lines ``storyreel generate --wait`` and the worker print about a job: which job on
which model, and when it ends its status, the reason and error of a failure, and its cost
(omitted when unknown, never printed as zero)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from storyreel.cli.jobwatch import finished_line, job_line


def job(**fields: Any) -> Any:
    base = {
        "id": "j1",
        "model": "fal:flux",
        "status": "succeeded",
        "cost_usd": None,
        "error": None,
        "error_reason": None,
    }
    return cast(Any, SimpleNamespace(**(base | fields)))


def test_job_line_names_the_job_and_model() -> None:
    assert job_line(job(), "running") == "job j1 on fal:flux: running"


def test_a_finished_job_with_its_cost() -> None:
    assert finished_line(job(cost_usd=Decimal("0.045"))) == "finished j1 succeeded, cost $0.045"
    assert finished_line(job()) == "finished j1 succeeded"  # unpriced: no made-up $0


def test_a_failed_job_says_why() -> None:
    failed = job(status="failed", error="blocked", error_reason="safety", cost_usd=Decimal(0))
    assert finished_line(failed) == (
        "finished j1 failed (refused by the provider's safety filter: blocked), cost $0.00"
    )
