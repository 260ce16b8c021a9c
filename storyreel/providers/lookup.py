"""Shared pieces of ``find_submitted``: reconciling a submit whose answer was lost.

A provider's lookup lists what it took since the attempt started and picks the entry that
is ours. "Ours" is decided, in order of strength:

1. an id of ours the provider echoes back (a webhook URL carrying the job id, a tracking
   field): an entry that names *another* job is never adopted;
2. the exact input we would submit (model + body), compared as canonical JSON;
3. the time window: only entries created at or after the attempt started (less a small
   allowance for the provider's clock) can be ours.

Two jobs submitting byte-identical inputs in the same window cannot be told apart by (2)
and (3); adopting the other's request then gives the same purchase (same model, same
input), which is why we accept it rather than refuse to reconcile. Each provider's doc
page says which of these its lookup can use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

#: Seconds a provider's clock may run behind ours; an entry created this long before the
#: attempt started still counts as possibly ours.
CLOCK_SKEW = 5.0

#: How many pages of a provider's history one lookup reads at most (100 entries a page on
#: most APIs): the window is minutes, so more means something else is wrong.
MAX_PAGES = 20

_WEBHOOK_JOB = re.compile(r"/webhooks/(?P<provider>[^/]+)/(?P<job>[^/?#]+)/")

T = TypeVar("T")


def window_start(since: float) -> float:
    """The earliest creation time an entry of this attempt can carry."""
    return since - CLOCK_SKEW


def iso_utc(moment: float) -> str:
    """``2026-11-29T19:13:27.123456Z``: what list filters (``created_after``) accept."""
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: Any) -> float | None:
    """Unix seconds from an ISO date-time string or a number (seconds or milliseconds)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1000 if value > 1e11 else float(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def canonical(value: Any) -> str:
    """One spelling per JSON value, so a body we rebuild compares equal to the echo."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def same_input(sent: Mapping[str, Any], seen: Any) -> bool:
    return isinstance(seen, Mapping) and canonical(dict(sent)) == canonical(dict(seen))


def webhook_job(url: Any, provider: str) -> str | None:
    """The job id inside a webhook URL storyreel made (``.../webhooks/{provider}/{job}/{token}``);
    None for any other URL or no URL."""
    if not isinstance(url, str):
        return None
    match = _WEBHOOK_JOB.search(url)
    if match is None or match["provider"] != provider:
        return None
    return match["job"]


def names_other_job(url: Any, provider: str, job_id: str) -> bool:
    """True when an echoed webhook URL proves the entry belongs to a different job."""
    owner = webhook_job(url, provider)
    return owner is not None and owner != job_id


def earliest(candidates: Iterable[tuple[float, T]]) -> T | None:
    """The first entry created in the window: the attempt's own submit comes before any
    later one of an identical-input job."""
    ordered = sorted(candidates, key=lambda pair: pair[0])
    return ordered[0][1] if ordered else None
