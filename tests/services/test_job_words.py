"""A failure in words: every reason has its phrase, the provider's message follows it, and
a reason nobody knows reads as unknown instead of crashing a page."""

from __future__ import annotations

from storyreel.errors import FailureReason
from storyreel.services.job_words import REASON_WORDS, failure_words, reason_words


def test_every_reason_has_words() -> None:
    assert set(REASON_WORDS) == set(FailureReason)
    assert len(set(REASON_WORDS.values())) == len(FailureReason)


def test_the_reason_then_the_providers_message() -> None:
    assert failure_words("input", "prompt too long") == (
        "the provider refused the input: prompt too long"
    )
    assert failure_words("safety", None) == "refused by the provider's safety filter"
    assert failure_words(None, "boom") == "failed for a reason nobody could classify: boom"
    assert failure_words("no-such-reason", "x") == reason_words("unknown") + ": x"
    assert failure_words(None, None) is None
    assert failure_words("canceled", "canceled") == "canceled"
    assert failure_words("canceled", "canceled by user") == "canceled by user"
