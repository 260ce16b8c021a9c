"""How long a job of a model should take: learned from this installation's finished jobs,
else the catalog's dated figure.

A sample is ``finished_at - submit_started_at`` of one of the model's recent succeeded
jobs: what it really held its slot for here, the provider's queue and our download
included. A job found done at its very first poll only says "at most this long" (the
schedule may have looked late, and the sample also holds our download), so it is scaled by
``PROBE``: the next job looks earlier, and the figure keeps probing down until a first poll
finds a job still running. The figure is the lower of the median of the last ``SAMPLES``
(one job stuck in a queue does not move it) and the newest sample (a model that got faster
is followed at once): looking early costs a request, looking late holds the slot.

One small query when a job starts, cached per process for ``CACHE_SECONDS`` once there are
``STABLE_SAMPLES`` samples; before that every start asks again, so the first jobs of a
fresh installation teach the next ones at once.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.errors import StoryreelError
from storyreel.providers.types import JobState
from storyreel.store.db import Database
from storyreel.store.models import Job
from storyreel.vocabulary import Task

SAMPLES = 9
"""How many recent succeeded jobs of a model the median is taken over."""
STABLE_SAMPLES = 5
"""With this many samples the figure is cached; with fewer it is read again each time."""
CACHE_SECONDS = 60.0
PROBE = 0.75
"""A job seen done at its first poll counts as this share of its time: below the
schedule's first poll at 90%, so the figure goes down even when our own download and
bookkeeping after the poll are a good part of a short job."""

_cache: dict[tuple[str, str], tuple[float, list[float]]] = {}


@dataclass(frozen=True)
class Expectation:
    """A model's expected latency and where it came from."""

    seconds: float | None
    learned: bool = False
    samples: int = 0


def clear_cache() -> None:
    """Forget learned figures (tests, and a process that changed databases)."""
    _cache.clear()


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from ``start`` to ``end``, stored times from either backend; None when
    either is missing or ``end`` is not after ``start``."""
    if start is None or end is None:
        return None
    # SQLite returns naive datetimes (stored as UTC); compare like with like.
    if (start.tzinfo is None) != (end.tzinfo is None):
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    seconds = (end - start).total_seconds()
    return seconds if seconds > 0 else None


async def observed_latencies(db: Database, model: str, *, limit: int = SAMPLES) -> list[float]:
    """Samples of the model's latency from its latest succeeded jobs, newest first."""
    stmt = (
        select(Job.submit_started_at, Job.finished_at, Job.polls)
        .where(
            Job.model == model,
            Job.status == JobState.SUCCEEDED.value,
            Job.submit_started_at.is_not(None),
            Job.finished_at.is_not(None),
        )
        .order_by(Job.id.desc())
        .limit(limit)
    )
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
    samples = []
    for start, end, polls in rows:
        seconds = seconds_between(start, end)
        if seconds is not None:
            samples.append(seconds * PROBE if polls <= 1 else seconds)
    return samples


def estimate(samples: list[float]) -> float | None:
    """The expected latency from samples (newest first): the lower of their median and
    the newest one."""
    if not samples:
        return None
    return min(statistics.median(samples), samples[0])


async def learned_latency(db: Database, model: str) -> tuple[float | None, int]:
    """The learned latency of ``model`` and the number of samples behind it."""
    key = (db.url, model)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        samples = cached[1]
    else:
        samples = await observed_latencies(db, model)
        if len(samples) >= STABLE_SAMPLES:
            _cache[key] = (now + CACHE_SECONDS, samples)
    return estimate(samples), len(samples)


def catalog_latency(
    catalog: Catalog | None,
    model: str,
    task: str,
    *,
    resolution: str | None = None,
    duration: float | None = None,
) -> float | None:
    """The catalog's typical latency for a job, or None (an unknown model, no figure)."""
    if catalog is None:
        return None
    try:
        entry = catalog.resolve(model, Task(task))
    except (StoryreelError, ValueError):
        return None
    return entry.typical_latency(resolution, duration)


def load_catalog(settings: Settings) -> Catalog | None:
    """The catalog, or None when it cannot be read: a broken user catalog is reported by
    whatever prices the job, never by the poll schedule."""
    try:
        return Catalog.load(settings)
    except StoryreelError:
        return None


async def expected_latency(
    db: Database,
    catalog: Catalog | None,
    model: str,
    task: str,
    *,
    resolution: str | None = None,
    duration: float | None = None,
) -> Expectation:
    """What to expect of a job of ``model``: learned when this installation has finished
    one, else the catalog's figure, else nothing."""
    learned, samples = await learned_latency(db, model)
    if learned is not None:
        return Expectation(learned, learned=True, samples=samples)
    figure = catalog_latency(catalog, model, task, resolution=resolution, duration=duration)
    return Expectation(figure)
