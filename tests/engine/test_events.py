"""Job events: one structured record per transition, amounts as exact strings, the
model only when known."""

from __future__ import annotations

from decimal import Decimal

from structlog.testing import capture_logs

from storyreel.engine.events import job_event


def test_events_carry_ids_and_exact_amounts() -> None:
    with capture_logs() as logs:
        job_event("job cost", "job1", provider="fal", model="fal:flux", cost_usd=Decimal("0.0450"))
        job_event("job canceled", "job2", provider="sketch")
    first, second = logs
    assert first["event"] == "job cost" and first["job_id"] == "job1"
    assert first["cost_usd"] == "0.0450" and first["model"] == "fal:flux"
    assert "model" not in second and second["provider"] == "sketch"
