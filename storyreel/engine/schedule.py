"""When to look at a running job next, as a pure function with its own tests.

A job holds its provider's queue slot until we *see* it finish, so every second between
the provider finishing and our poll is a slot wasted; every poll before it finishes is a
request wasted. Knowing how long the model usually takes (the catalog's figure, or better
the median of this model's recent jobs, ``engine/latency.py``) resolves both: the first
poll goes just before the expected finish, then short steps until well past it, and only a
job that is clearly late is backed off. With webhooks the provider tells us when it is done,
so polls are only a safety net placed after the expected finish.

An expectation from the catalog alone is a dated figure for a real service (a simulator, a
faster model version or a quiet queue can beat it by far), so it is hedged: the first poll
never waits longer than the default ladder would. Learned figures are trusted as they are.
"""

from __future__ import annotations

FIRST_AT = 0.9
"""No webhooks: the first poll at 90% of the expected time."""
FINE_STEP = 0.05
"""Around the expected finish (up to ``FINE_UNTIL``), poll every 5% of it (at least
``minimum`` apart): most jobs finish there, and a step there is slot time lost per job."""
FINE_UNTIL = 1.1
STEP = 0.1
"""Then, until the job is late, every 10% of it (at least ``minimum`` apart)."""
LATE_AT = 1.5
"""Past 150% of the expected time the job is late: back off."""
LADDER = 0.5
"""Unknown latency (and late jobs): wait half of the time the job has run so far, so a
poll comes at most 50% after the finish while a long job needs few requests."""
EPSILON = 1e-6
"""Sums of float waits land a hair short of a boundary; count that as on it."""


def poll_schedule(
    expected: float | None,
    *,
    elapsed: float,
    polls: int = 1,
    minimum: float = 0.2,
    maximum: float = 30.0,
    first: float = 2.0,
    confident: bool = True,
    webhooks: bool = False,
) -> float:
    """Seconds to wait before the next poll of a job that has run ``elapsed`` seconds.

    ``expected``: the model's typical latency (None: unknown). ``polls``: polls made so far
    (0: the job was just submitted; a synchronous API may already be done). ``minimum``:
    the shortest step near the expected finish; ``maximum``: the longest back-off step;
    ``first``: the first wait when the latency is unknown. ``confident``: the expectation
    was learned from finished jobs (else it is the catalog's figure, hedged). ``webhooks``:
    the provider will call us when done, so polling is a fallback.
    """
    elapsed = max(0.0, elapsed)
    reached = elapsed + EPSILON  # for comparisons only
    ladder = min(maximum, max(first, LADDER * elapsed))
    if expected is None or expected <= 0:
        return ladder
    late = LATE_AT * expected
    target = late if webhooks else FIRST_AT * expected
    if reached < target:
        wait = target - elapsed
        if not confident:
            wait = min(wait, maximum if webhooks else ladder)
        return wait if polls == 0 else max(wait, min(minimum, expected))
    if polls == 0:
        return 0.0  # the submit itself took about the model's time: look now
    if reached < FINE_UNTIL * expected:
        return max(minimum, FINE_STEP * expected)
    if reached < late:
        return max(minimum, STEP * expected)
    return min(maximum, max(minimum, STEP * expected, LADDER * (elapsed - expected)))
