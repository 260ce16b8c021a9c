"""Jobs of one model that started together finish together: when one is seen done, the
others waiting in this process look at the time it took, not at their own schedule's.

A story's panels, a bulk run's cells and a wave of clips all take their slots within a
second of each other, and while the model's latency is not learned yet (a fresh
installation, a new model) every one of them polls on the hedged default ladder, seconds
late. The first to be seen done says how long the model takes now: a peer that took its
slot at ``started`` is due at ``started + took``, and its wait is cut to that (or ends at
once when that has passed). A peer that turns out still running goes back to its schedule.

Only timing changes, never a workflow's path: an in-memory sleep is cut short by an event,
and a durable wait (``DBOS.recv``) by a message on the webhook topic, which the workflow
takes for a webhook without a state (it polls). The message is sent outside any workflow
(a task with an empty context), so no sender records it as a step. A replayed workflow
may announce an old finish: at worst a peer polls early once. Each job takes at most
``WAKES`` such hints, so a peer never costs more than that many extra requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import structlog
from dbos import DBOS

from .webhooks import WEBHOOK_TOPIC

log = structlog.get_logger(__name__)

WAKES = 1
"""Peer hints a job takes: one early look per job at most."""
MARGIN = 0.05
"""Seconds after the peer-derived due time: a hair past it, the provider's clocks and ours
differ by a request's travel."""


@dataclass
class _Waiter:
    started: float
    deadline: float
    """When the wait ends on its own (wall clock)."""
    durable: bool
    event: asyncio.Event = field(default_factory=asyncio.Event)
    timer: asyncio.TimerHandle | None = None


_waiting: dict[str, dict[str, _Waiter]] = {}
"""Peer key -> job id -> its current wait. One event loop per process runs workflows."""
_hints: dict[str, int] = {}
"""Job id -> hints taken (forgotten when the job ends here)."""


def key(provider: str, model: str, resolution: object, duration: object) -> str:
    """Jobs that should take the same time: one model, same size and length."""
    return f"{provider}|{model}|{resolution}|{duration}"


async def sleep(peer_key: str | None, job_id: str, started: float, wait: float) -> None:
    """``asyncio.sleep(wait)``, ended early when a peer shows this job is due sooner."""
    if peer_key is None:
        await asyncio.sleep(wait)
        return
    waiter = _register(peer_key, job_id, started, wait, durable=False)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter.event.wait(), wait)
    finally:
        _unregister(peer_key, job_id, waiter)


@contextlib.contextmanager
def durable_wait(peer_key: str | None, job_id: str, started: float, wait: float) -> Iterator[None]:
    """Around a ``DBOS.recv`` of ``wait`` seconds: a peer's hint arrives as a message."""
    if peer_key is None:
        yield
        return
    waiter = _register(peer_key, job_id, started, wait, durable=True)
    try:
        yield
    finally:
        _unregister(peer_key, job_id, waiter)


def finished(peer_key: str | None, job_id: str, started: float, seen_at: float) -> None:
    """Job ``job_id`` (slot taken at ``started``) was seen done at ``seen_at``: tell its
    waiting peers when they are due."""
    _hints.pop(job_id, None)
    if peer_key is None:
        return
    took = seen_at - started
    if took <= 0:
        return
    for peer_id, waiter in list(_waiting.get(peer_key, {}).items()):
        if peer_id == job_id or _hints.get(peer_id, 0) >= WAKES:
            continue
        due = waiter.started + took + MARGIN
        if due >= waiter.deadline:
            continue  # its own schedule looks sooner
        _hints[peer_id] = _hints.get(peer_id, 0) + 1
        if waiter.timer is not None:
            waiter.timer.cancel()
        delay = max(0.0, due - time.time())
        loop = asyncio.get_running_loop()
        waiter.timer = loop.call_later(delay, _wake, peer_id, waiter)


def forget(job_id: str) -> None:
    """The job ended: drop its hint count."""
    _hints.pop(job_id, None)


def _register(peer_key: str, job_id: str, started: float, wait: float, *, durable: bool) -> _Waiter:
    waiter = _Waiter(started=started, deadline=time.time() + wait, durable=durable)
    _waiting.setdefault(peer_key, {})[job_id] = waiter
    return waiter


def _unregister(peer_key: str, job_id: str, waiter: _Waiter) -> None:
    if waiter.timer is not None:
        waiter.timer.cancel()
    peers = _waiting.get(peer_key)
    if peers is not None and peers.get(job_id) is waiter:
        del peers[job_id]
        if not peers:
            del _waiting[peer_key]


def _wake(job_id: str, waiter: _Waiter) -> None:
    waiter.timer = None
    if not waiter.durable:
        waiter.event.set()
        return
    # Outside the waking workflow's context: a send from inside it would be its step.
    asyncio.get_running_loop().create_task(_send(job_id), context=contextvars.Context())


async def _send(job_id: str) -> None:
    try:
        await DBOS.send_async(job_id, {"peer": True}, WEBHOOK_TOPIC)
    except Exception as exc:  # noqa: BLE001 - a lost hint only means the usual poll
        log.info("peer hint not delivered", job_id=job_id, error=str(exc))
