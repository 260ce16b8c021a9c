"""A job that ends can hand its slot in its provider's queue to the job that follows it.

A story's panel opens its shot's clip, but the clip is queued only after the shot's
workflow has woken, picked the panel and made the clip's job: 0.1 s on an idle machine, a
second when fifteen panels end together. Meanwhile the queue fills the freed slot with
the next waiting panel, so a clip that should overtake the panels (``story/queue_order``)
finds nothing left to overtake, and clips start in waves. So the shot workflow *offers*
its panel's slot before awaiting the panel; when the panel's workflow ends here, its queue
claims one slot fewer (a *hold*) until the shot withdraws the offer, once its clip is
queued (and the queue order has seen the held slots' clips coming), or ``HOLD_SECONDS``
pass.

Holds live in this process's memory only: they order work, they never decide it. A crash
forgets them (the slot is simply free again), a panel that ends in another process holds
nothing, and a hold that outlives ``HOLD_SECONDS`` frees its slot on its own, so the worst
a hold costs is that long of one idle slot.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

HOLD_SECONDS = 1.0
"""The longest a slot waits for its follow-up: more than a busy machine takes to queue a
clip after its panel (0.1-1 s with fifteen shots waking at once), far less than a job."""


@dataclass
class _Hold:
    queue: str
    deadline: float
    follow_up: str | None = None
    early: bool | None = None
    holding: bool = True
    """False once ``release``d: the slot is free, the decision still counts until queued."""


@dataclass(frozen=True)
class Pending:
    """What the held slots of a queue wait for: follow-ups not yet decided (``undecided``)
    and those decided but not queued yet (``early``: to go ahead of the queue's waiting
    jobs; ``late``: to wait their turn), by their job ids."""

    undecided: int
    early: frozenset[str]
    late: frozenset[str]


_lock = threading.Lock()
_offers: set[str] = set()
_holds: dict[str, _Hold] = {}
_woken: list[Callable[[str], None]] = []


def on_free(wake: Callable[[str], None]) -> None:
    """Have ``wake(queue)`` called when a held slot is free again (``wakeups`` looks at
    the queue then); set once per process."""
    with _lock:
        _woken[:] = [wake]


def offer(job_id: str) -> None:
    """When ``job_id``'s workflow ends in this process, hold its slot for what follows."""
    with _lock:
        _offers.add(job_id)


def take(job_id: str, queue: str) -> bool:
    """``job_id``'s workflow let its slot on ``queue`` go: hold it if it was offered."""
    with _lock:
        if job_id not in _offers:
            return False
        _offers.discard(job_id)
        _holds[job_id] = _Hold(queue, time.monotonic() + HOLD_SECONDS)
        return True


def release(job_id: str) -> None:
    """The follow-up is about to be queued: free the slot for it without waking the
    queue (the follow-up's enqueue does, once committed). Its decision keeps counting in
    ``pending`` until ``withdraw``: the queue may not list it yet. Releasing before the
    enqueue keeps the claim from counting the slot twice, held and taken."""
    with _lock:
        hold = _holds.get(job_id)
        if hold is not None:
            hold.holding = False


def withdraw(job_id: str) -> None:
    """The follow-up is queued (or none is coming): drop the offer, free the slot."""
    with _lock:
        _offers.discard(job_id)
        hold = _holds.pop(job_id, None)
        wake = _woken[0] if _woken else None
    if hold is not None and hold.holding and wake is not None:
        wake(hold.queue)


def withdraw_unless_on(job_id: str, queue: str) -> None:
    """``withdraw`` unless ``job_id``'s slot is held on ``queue``, the follow-up's: a
    follow-up going to another provider's queue cannot use the slot."""
    with _lock:
        hold = _holds.get(job_id)
        elsewhere = hold is not None and hold.queue != queue
    if elsewhere:
        withdraw(job_id)


def held(queue: str) -> int:
    """The slots of ``queue`` held now."""
    now = time.monotonic()
    with _lock:
        return sum(
            1
            for hold in _holds.values()
            if hold.queue == queue and hold.holding and hold.deadline > now
        )


def pending(queue: str, *, besides: str | None = None) -> Pending:
    """The follow-ups ``queue``'s held slots wait for (``besides``: not that job's)."""
    now = time.monotonic()
    with _lock:
        live = [
            hold
            for job_id, hold in _holds.items()
            if hold.queue == queue and hold.deadline > now and job_id != besides
        ]
    return Pending(
        undecided=sum(hold.early is None for hold in live),
        early=frozenset(h.follow_up for h in live if h.early and h.follow_up),
        late=frozenset(h.follow_up for h in live if h.early is False and h.follow_up),
    )


def decide(job_id: str, follow_up: str, early: bool) -> None:
    """``job_id``'s follow-up is ``follow_up``, decided ``early`` or not, and about to be
    queued: the next decision counts it, as the queue does not list it yet. Make it
    without awaiting anything after reading ``pending``, so no two decisions see the same
    held slots undecided."""
    with _lock:
        hold = _holds.get(job_id)
        if hold is not None:
            hold.follow_up, hold.early = follow_up, early


def expire(queue: str) -> tuple[bool, float | None]:
    """Drop ``queue``'s holds past their deadline. Returns whether any was dropped (a slot
    is free again: look at the queue) and the seconds until the next one ends."""
    now = time.monotonic()
    with _lock:
        gone = [job_id for job_id, h in _holds.items() if h.queue == queue and h.deadline <= now]
        ended = [_holds.pop(job_id) for job_id in gone]
        freed = any(hold.holding for hold in ended)
        left = [h.deadline - now for h in _holds.values() if h.queue == queue and h.holding]
    return freed, min(left) if left else None


async def settled(poll_seconds: float = 0.02) -> None:
    """Return once no slot is held here: work off the critical path (a panel's identity
    scores) waits for the clips whose panels hold slots to be queued, rather than taking
    the interpreter from them when many panels end at once. At most ``HOLD_SECONDS``, even
    while new holds keep coming (many stories in one server)."""
    give_up = time.monotonic() + HOLD_SECONDS
    while (now := time.monotonic()) < give_up:
        with _lock:
            live = any(hold.holding and hold.deadline > now for hold in _holds.values())
        if not live:
            return
        await asyncio.sleep(poll_seconds)


def clear() -> None:
    """Forget every offer and hold (an engine that stops)."""
    with _lock:
        _offers.clear()
        _holds.clear()
