"""A story job's place in its provider's queue, and when a shot's clip overtakes panels.

A story's jobs share their providers' queues; when a queue is full, DBOS starts the job
with the lowest priority first (``priority``): a character's sheet, then panels, then
clips, the longest path to the end first (the highest-level-first rule). A panel opens a
clip's work, so drawing panels first keeps slots fed, and the storyboard is complete early,
for a review before the clips are paid for.

Panels first is not always best. When many slots free at once it fills them all with
panels, and their clips then start in waves: 24 shots of 2 s panels and 6 s clips on 15
slots take 16 s panels first (and clips first), and 14 s when clips go ahead of the panels
while fewer than 9 to 12 of them run. So when a shot's clip is made, ``clip_goes_early``
looks at the queue as it is (what runs, for how much longer, and what waits), simulates
the rest of the queue's work with the expected latencies under each threshold ``k`` (clips
go before panels while fewer than ``k`` clips run or wait ahead of them; ``k = 0`` is
panels first) and lets the clip overtake if the threshold that finishes soonest says so.
A tie goes to the lowest threshold: panels first. The decision is made once, in the step
that creates the clip's job, so a replay queues it the same way. The clips whose panels
ended here and hold their slots for them (``engine/handover``) are counted as coming, or as
decided once they are; without that hand-over every freed slot would be gone to the next
panel before the clip could overtake it. The decision is only as good as the
latencies (``engine/latency.py``: learned from this installation's jobs, else the
catalog's), and without them, or with nothing to overtake, the clip waits behind panels.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from dbos import DBOS
from sqlalchemy import select

from storyreel.engine import handover, latency
from storyreel.engine.runtime import Runtime
from storyreel.engine.workflows import queue_name
from storyreel.store.models import Job
from storyreel.vocabulary import Task

QUEUE_PRIORITY = {
    "sheet": 1,
    "early_clip": 2,
    "panel": 3,
    "narration": 3,
    "clip": 4,
    "music": 4,
}
"""Ranks, lower first (DBOS stores 0 for a job without one: those go before any story's)."""
SHOTS_PER_RANK = 1_000_000
"""Within a rank, the earlier shot goes first (``priority``): the video's parts are made in
shot order as clips land, so clips landing in shot order let them start long before the
last one (shot workflows are started last shot first, and DBOS breaks ties by enqueue time,
which ran the story backwards)."""
JOB_OVERHEAD_SECONDS = 0.3
"""What a job started from the queue adds to its latency in the simulation: the look that
starts it, its submit, and, once it ends, learning so and waking what it opens (0.1-0.5 s
a job on a busy 2-core machine). Among thresholds that tie with exact latencies, it
favours the one with the fewest jobs run one after another in a slot: 24 shots on 15
slots tie at 14 s for 9 to 12 clips ahead, and with 0.3 s a job 9 and 10 take 14.9 s, 11
and 12 take 15.5 s."""
MAX_SIMULATED_JOBS = 2_000
"""A queue holding more than this (a bulk run) is not simulated: the clip waits its turn."""
MAX_THRESHOLDS = 33
"""Thresholds tried on a queue with more slots than this are spread over 0..slots."""


def priority(what: str, shot: int) -> int:
    """A job's place in its provider's queue: its rank, then its shot."""
    return QUEUE_PRIORITY[what] * SHOTS_PER_RANK + min(max(shot, 0), SHOTS_PER_RANK - 1)


def rank_of(priority_value: int | None) -> int:
    """The rank a stored priority holds (0: none)."""
    return (priority_value or 0) // SHOTS_PER_RANK


@dataclass(frozen=True)
class QueuedJob:
    """A job in the queue, as the simulation sees it.

    ``seconds``: how much longer it takes (what is left of a running job's expected time;
    a waiting job's whole expected time). ``opens``: a panel, the seconds of the clip it
    opens when it ends. ``clip``: a clip (it counts toward the threshold)."""

    priority: int
    seconds: float
    clip: bool = False
    opens: float | None = None


def clip_goes_early(
    slots: int,
    running: Sequence[QueuedJob],
    waiting: Sequence[QueuedJob],
    clip_seconds: float,
    coming: int = 0,
) -> bool:
    """Whether a new clip of ``clip_seconds`` should go before the waiting panels (the
    module's docstring says how this is decided). ``waiting`` in any order: the
    simulation orders it as the queue does, by priority, then as given. ``coming``: other
    clips like it about to be queued after it (their panels ended and hold their slots:
    ``engine/handover``)."""
    if not any(rank_of(job.priority) == QUEUE_PRIORITY["panel"] for job in waiting):
        return False  # nothing to overtake but other clips
    if len(running) + len(waiting) > MAX_SIMULATED_JOBS or slots < 2:
        return False
    best: tuple[float, bool] | None = None
    for k in _thresholds(slots):
        finish, early = _simulate(slots, running, waiting, clip_seconds, k, coming)
        if best is None or finish < best[0] - 1e-9:
            best = (finish, early)
    return best is not None and best[1]


def _thresholds(slots: int) -> Iterable[int]:
    if slots + 1 <= MAX_THRESHOLDS:
        return range(slots + 1)
    step = slots / (MAX_THRESHOLDS - 1)
    return sorted({round(i * step) for i in range(MAX_THRESHOLDS)})


def _simulate(
    slots: int,
    running: Sequence[QueuedJob],
    waiting: Sequence[QueuedJob],
    clip_seconds: float,
    k: int,
    coming: int = 0,
) -> tuple[float, bool]:
    """When the queue's work ends if this clip and every clip a panel opens go early while
    fewer than ``k`` clips run or wait early; and whether this clip went early."""
    order = itertools.count()
    early, late = priority("early_clip", SHOTS_PER_RANK), priority("clip", SHOTS_PER_RANK)
    queue = [(job.priority, next(order), job) for job in waiting]
    heapq.heapify(queue)
    ends = [(job.seconds, next(order), job) for job in running]
    heapq.heapify(ends)
    clips = sum(job.clip for job in running) + sum(
        rank_of(job.priority) == QUEUE_PRIORITY["early_clip"] for job in waiting
    )

    def add_clip(seconds: float) -> bool:
        nonlocal clips
        goes_early = clips < k
        clips += goes_early
        job = QueuedJob(early if goes_early else late, seconds, clip=True)
        heapq.heappush(queue, (job.priority, next(order), job))
        return goes_early

    this_early = add_clip(clip_seconds)
    for _ in range(coming):
        add_clip(clip_seconds)
    now = 0.0
    while queue or ends:
        while queue and len(ends) < slots:
            _, _, job = heapq.heappop(queue)
            if job.clip and rank_of(job.priority) != QUEUE_PRIORITY["early_clip"]:
                clips += 1  # a late clip starts: it runs, so it counts
            heapq.heappush(ends, (now + job.seconds + JOB_OVERHEAD_SECONDS, next(order), job))
        now, _, done = heapq.heappop(ends)
        if done.clip:
            clips -= 1
        if done.opens is not None:
            add_clip(done.opens)
    return now, this_early


async def clip_goes_early_now(rt: Runtime, job: Job, *, panel_job_id: str | None = None) -> bool:
    """``clip_goes_early`` for the clip ``job`` about to join its provider's queue as it
    is now: DBOS's queued and running workflows there, their jobs' models and start
    times, the clips coming to the slots other panels hold here (``engine/handover``;
    ``panel_job_id``: this clip's own panel, whose slot the decision is recorded on), and
    the models' expected latencies. False without a latency to go by."""
    name = queue_name(job.provider)
    queued = await DBOS.list_queued_workflows_async(
        queue_name=name, load_input=False, load_output=False, limit=MAX_SIMULATED_JOBS + 1
    )
    panel_rank = QUEUE_PRIORITY["panel"]
    if len(queued) > MAX_SIMULATED_JOBS or not any(
        rank_of(w.priority) == panel_rank and w.status == "ENQUEUED" for w in queued
    ):
        return False
    queue = await DBOS.retrieve_queue_async(name)
    slots = await queue.get_global_concurrency_async() if queue is not None else None
    if slots is None:
        return False  # no limit: every job runs at once, nothing waits to be overtaken
    async with rt.db.read() as session:
        rows = {
            row.id: row
            for row in await session.execute(
                select(Job.id, Job.model, Job.task, Job.submit_started_at).where(
                    Job.id.in_([w.workflow_id for w in queued])
                )
            )
        }
    catalog = latency.load_catalog(rt.settings)
    known: dict[tuple[str, str], float | None] = {}

    async def seconds(of_model: str, of_task: str) -> float | None:
        if (of_model, of_task) not in known:
            expected = await latency.expected_latency(rt.db, catalog, of_model, of_task)
            known[of_model, of_task] = expected.seconds
        return known[of_model, of_task]

    clip_seconds = await seconds(job.model, job.task)
    if clip_seconds is None:
        return False
    now = datetime.now(UTC)
    timed: list[tuple[str, bool, QueuedJob]] = []  # (job id, running, as simulated)
    for workflow in queued:
        row = rows.get(workflow.workflow_id)
        if row is None or workflow.status not in ("ENQUEUED", "PENDING"):
            continue  # not a job of this store, or a delayed one: it holds no slot
        expected = await seconds(row.model, row.task)
        if expected is None:
            return False
        rank = rank_of(workflow.priority)
        panel = rank == panel_rank and Task(row.task).output_kind == "image"
        opens = clip_seconds if panel else None
        is_clip = rank in (QUEUE_PRIORITY["early_clip"], QUEUE_PRIORITY["clip"])
        runs = workflow.status == "PENDING"
        if runs:
            ran = latency.seconds_between(row.submit_started_at, now) or 0.0
            expected = max(expected - ran, 0.0)
        timed.append(
            (
                workflow.workflow_id,
                runs,
                QueuedJob(workflow.priority or 0, expected, is_clip, opens),
            )
        )
    # No await from here on: the held slots read, the decision and its record are one step
    # of the event loop, so decisions made side by side each see the ones before.
    held = handover.pending(name, besides=panel_job_id)
    decided = held.early | held.late  # counted below, queued or not
    running = [j for id_, runs, j in timed if runs and id_ not in decided]
    waiting = [j for id_, runs, j in timed if not runs and id_ not in decided]
    for what, ids in (("early_clip", held.early), ("clip", held.late)):
        waiting += [QueuedJob(priority(what, 0), clip_seconds, clip=True) for _ in ids]
    early = clip_goes_early(slots, running, waiting, clip_seconds, held.undecided)
    if panel_job_id is not None:
        handover.decide(panel_job_id, job.id, early)
    return early
