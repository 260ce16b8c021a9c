"""Shot-level pipelining: a shot's clip starts as soon as its own panel is done, and a
re-run of the same shots buys nothing. Driven by the ScriptedProvider: shot N's panel
reports ``running`` for 2N polls, so the panels finish one after another."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from dbos import DBOS
from sqlalchemy import select

from storyreel.engine import handover, waits
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import submit_job, wait_job
from storyreel.engine.workflows import queue_name
from storyreel.providers.types import Handle, Status
from storyreel.store.models import Job, Shot
from storyreel.story import pipeline
from storyreel.story.loader import load_story
from storyreel.story.pipeline import create_panel_jobs, shot_clip, shot_workflow
from storyreel.story.project import prepare_project
from storyreel.story.queue_order import priority
from storyreel.testing.scripted import ScriptedProvider
from storyreel.vocabulary import GenerationRequest, Task

STORY = """
title: Pipelining
beats:
  - setting: a quiet street
    shots:
{shots}
render:
  image_model: scripted:image
  video_model: scripted:video
  width: 320
  height: 180
"""


class TimedScripted(ScriptedProvider):
    """Panels of later shots take longer; records when panels end and clips start."""

    panel_done: ClassVar[list[float]] = []
    clip_submitted: ClassVar[list[float]] = []
    panel_started: ClassVar[dict[int, float]] = {}
    order: ClassVar[list[str]] = []
    """What was submitted, in order: ``panel N`` or ``clip``."""

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        if req.task is Task.IMAGE_TO_VIDEO:
            self.clip_submitted.append(time.monotonic())
            self.order.append("clip")
            script: dict[str, Any] = {"polls": ["succeeded"]}
        else:
            shot = int(req.prompt.split("stall ")[1].split()[0].rstrip(",."))
            self.panel_started.setdefault(shot, time.monotonic())
            self.order.append(f"panel {shot}")
            script = {"polls": ["running"] * (2 * shot) + ["succeeded"]}
        return await super().submit(
            req.model_copy(update={"extra": script}), job_id=job_id, webhook_url=webhook_url
        )

    async def poll(self, handle: Handle) -> Status:
        status = await super().poll(handle)
        if status.state.terminal and "running" in handle.data["script"]["polls"]:
            self.panel_done.append(time.monotonic())
        return status


@pytest.fixture
async def scripted(engine: Engine) -> AsyncIterator[type[TimedScripted]]:
    TimedScripted.reset()
    TimedScripted.panel_done.clear()
    TimedScripted.clip_submitted.clear()
    TimedScripted.panel_started.clear()
    TimedScripted.order.clear()
    await engine.add_provider(TimedScripted)
    yield TimedScripted


async def run_shots(project_id: str) -> list[dict[str, Any]]:
    """Each shot's workflow (panel, then its clip job started), then each clip awaited."""
    panels = await create_panel_jobs(project_id)
    handles = [await DBOS.start_workflow_async(shot_workflow, project_id, p) for p in panels]
    shots = [await waits.result(h) for h in handles]
    return [shot | {"clip": await shot_clip(shot)} for shot in shots]


async def test_a_clip_starts_before_the_last_panel_ends_and_a_rerun_buys_nothing(
    scripted: type[TimedScripted], rt: Runtime, tmp_path: Path
) -> None:
    shots = "\n".join(f"      - {{action: Mira walks past stall {n}}}" for n in range(1, 5))
    (tmp_path / "story.yaml").write_text(STORY.format(shots=shots))
    project_id = await prepare_project(
        rt, load_story(tmp_path / "story.yaml", max_image_bytes=10**7, max_image_pixels=10**8)
    )

    first = await run_shots(project_id)
    assert all("clip" in shot for shot in first), first
    assert len(scripted.panel_done) == 4 and len(scripted.clip_submitted) == 4
    assert min(scripted.clip_submitted) < max(scripted.panel_done), "clips waited for all panels"
    bought = sum(scripted.submissions.values())
    assert bought == 8

    again = await run_shots(project_id)
    assert again == first
    assert sum(scripted.submissions.values()) == bought, "an unchanged re-run bought again"


async def test_through_a_full_queue_panels_come_first_in_story_order(
    scripted: type[TimedScripted], rt: Runtime, tmp_path: Path
) -> None:
    """Through a one-slot queue every panel is drawn before any clip (the longest path to
    the end first: a panel opens a clip's work), first shot first: the story starts its
    shot workflows last shot first, and the video is made in shot order as clips land (a
    story run backwards made no part before its last clip)."""
    await DBOS.register_queue_async(
        queue_name("scripted"),
        global_concurrency=1,
        polling_interval_sec=0.05,
        on_conflict="always_update",
    )
    shots = "\n".join(f"      - {{action: Mira walks past stall {n}}}" for n in range(1, 5))
    (tmp_path / "story.yaml").write_text(STORY.format(shots=shots))
    project_id = await prepare_project(
        rt, load_story(tmp_path / "story.yaml", max_image_bytes=10**7, max_image_pixels=10**8)
    )
    # The slot is taken until every panel is queued: the order is the queue's, not a race
    # between the shots' enqueues and its first poll.
    blocker = await submit_job(
        GenerationRequest(task=Task.TEXT_TO_IMAGE, model="scripted:image", prompt="stall 9")
    )
    for _ in range(500):
        if 9 in scripted.panel_started:
            break
        await asyncio.sleep(0.02)
    panels = await create_panel_jobs(project_id)
    handles = [
        await DBOS.start_workflow_async(shot_workflow, project_id, p) for p in reversed(panels)
    ]
    await wait_job(blocker.id)
    for handle in handles:
        await shot_clip(await waits.result(handle))
    started = sorted(scripted.panel_started.items(), key=lambda kv: kv[1])
    assert [shot for shot, _ in started if shot != 9] == [1, 2, 3, 4]
    story = [what for what in scripted.order if what != "panel 9"]
    assert story == ["panel 1", "panel 2", "panel 3", "panel 4"] + ["clip"] * 4, story


async def test_a_clip_the_queue_order_sends_early_is_queued_ahead_of_panels(
    scripted: type[TimedScripted], rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``queue_order`` decides when the clip's job is made; the shot queues it with that
    rank, and the step's result keeps the decision for a replay."""
    decided: list[str] = []
    panels: list[str | None] = []

    async def early(rt: Runtime, job: Job, *, panel_job_id: str | None = None) -> bool:
        decided.append(job.model)
        panels.append(panel_job_id)
        return True

    monkeypatch.setattr(pipeline, "clip_goes_early_now", early)
    shots = "\n".join(f"      - {{action: Mira walks past stall {n}}}" for n in range(1, 3))
    (tmp_path / "story.yaml").write_text(STORY.format(shots=shots))
    project_id = await prepare_project(
        rt, load_story(tmp_path / "story.yaml", max_image_bytes=10**7, max_image_pixels=10**8)
    )
    done = await run_shots(project_id)
    assert decided == ["scripted:video"] * 2
    # Each clip decided for the slot its own panel held; every hold is withdrawn.
    async with rt.db.read() as session:
        linked = await session.scalars(
            select(Shot.panel_job_id).where(Shot.project_id == project_id)
        )
        assert sorted(p or "" for p in panels) == sorted(job_id or "-" for job_id in linked)
    assert handover.held(queue_name("scripted")) == 0 and not handover._offers
    for shot in done:
        assert shot["clip_job"]["early"] is True
        status = await DBOS.get_workflow_status_async(shot["clip_job"]["job_id"])
        assert status is not None
        assert status.priority == priority("early_clip", shot["clip_job"]["shot"])
