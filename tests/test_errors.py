"""The shared failure vocabulary: which HTTP statuses are worth another try, and the
reason a bare status stands for."""

from __future__ import annotations

import pytest

from storyreel.errors import FailureReason, reason_for_status, retryable_status


@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 502, 503, 504, 507, 520, 529])
def test_not_now_statuses_are_retryable(status: int) -> None:
    assert retryable_status(status)


@pytest.mark.parametrize("status", [200, 301, 400, 401, 402, 403, 404, 422, 501, 505, 600, 999])
def test_no_statuses_are_final(status: int) -> None:
    assert not retryable_status(status)


def test_reason_for_status() -> None:
    assert reason_for_status(None) is FailureReason.PROVIDER_DOWN
    assert reason_for_status(403) is FailureReason.AUTH
    assert reason_for_status(402) is FailureReason.QUOTA
    assert reason_for_status(429) is FailureReason.RATE_LIMITED
    assert reason_for_status(504) is FailureReason.TIMEOUT
    assert reason_for_status(503) is FailureReason.PROVIDER_DOWN
    assert reason_for_status(422) is FailureReason.INPUT
