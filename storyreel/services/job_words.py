"""A failed job's reason and message in words a person reads: one wording for the faces
that show jobs to people (the CLI's job lines and ``jobs show``, the web UI's job table).

The reason is the typed ``FailureReason`` the engine stored (``Job.error_reason``); the
message is the provider's own text (``Job.error``), kept after the phrase so nothing the
provider said is lost.
"""

from __future__ import annotations

from storyreel.errors import FailureReason

REASON_WORDS: dict[FailureReason, str] = {
    FailureReason.INPUT: "the provider refused the input",
    FailureReason.SAFETY: "refused by the provider's safety filter",
    FailureReason.QUOTA: "out of credits or over the plan's limit",
    FailureReason.AUTH: "the provider did not accept the API key",
    FailureReason.RATE_LIMITED: "rate limited by the provider, and retries did not get through",
    FailureReason.PROVIDER_DOWN: "the provider is down or unreachable",
    FailureReason.TIMEOUT: "no result in the time allowed",
    FailureReason.CANCELED: "canceled",
    FailureReason.MODEL_FAILED: "the model ran but produced nothing usable",
    FailureReason.BUDGET: "not submitted: it would have crossed a budget (nothing was bought)",
    FailureReason.UNKNOWN: "failed for a reason nobody could classify",
}


def reason_words(reason: str | None) -> str:
    """The phrase for a stored reason; an unknown or missing one reads as UNKNOWN's."""
    try:
        return REASON_WORDS[FailureReason(reason or FailureReason.UNKNOWN.value)]
    except ValueError:
        return REASON_WORDS[FailureReason.UNKNOWN]


def failure_words(reason: str | None, message: str | None) -> str | None:
    """``"the provider refused the input: prompt too long"``; None when the job did not
    fail (no reason and no message)."""
    if not reason and not message:
        return None
    phrase = reason_words(reason)
    if not message:
        return phrase
    if message.lower().startswith(phrase.lower()):  # "canceled by user" says it already
        return message
    return f"{phrase}: {message}"
