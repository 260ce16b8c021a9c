"""The Jobs page's live stream: a changed row is sent for its id, a job newer than the
page that matches the filters is announced once as new, one that does not is left out,
and the detail stream ends when its job does."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storyreel.engine import jobs as job_rows
from storyreel.providers.types import JobState
from storyreel.services import job_feed as feed_module
from storyreel.vocabulary import GenerationRequest, Task
from storyreel.web.jobstream import JobFilter, detail_events, row_events
from tests.api.conftest import api_settings, running_api


def sketch(seed: int) -> GenerationRequest:
    return GenerationRequest(task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt="p", seed=seed)


def test_filters_match_and_query() -> None:
    wanted = JobFilter.of("failed", "fal", None, "video")
    assert wanted.query(since="01ABC") == "status=failed&provider=fal&kind=video&since=01ABC"
    assert "image-to-video" in (wanted.tasks() or []) and wanted.active
    assert JobFilter().tasks() is None and not JobFilter().active


async def test_rows_are_sent_by_id_and_new_ones_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(feed_module, "TICK_SECONDS", 0.05)
    async with running_api(api_settings(tmp_path)) as (_client, state):
        shown, _ = await job_rows.create_job(state.rt.db, sketch(1))
        events: list[tuple[str, str]] = []

        async def read() -> None:
            async for event in row_events(state, JobFilter(kind="image"), shown.id, lifetime=3):
                events.append((event["event"], event["data"]))

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.3)
        video = sketch(2).model_copy(update={"task": Task.TEXT_TO_VIDEO})
        other, _ = await job_rows.create_job(state.rt.db, video)  # not an image: left out
        newer, _ = await job_rows.create_job(state.rt.db, sketch(3))
        await asyncio.sleep(0.3)
        await job_rows.transition(state.rt.db, newer.id, JobState.FAILED, error="boom")
        await job_rows.transition(state.rt.db, shown.id, JobState.SUCCEEDED)
        await reader
        names = [name for name, _ in events]
        assert f"job-{shown.id}" in names
        assert names.count("new") == 1 and f"job-{newer.id}" in names
        assert any("failed for a reason nobody could classify: boom" in data for _, data in events)
        assert not any(other.id in data for _, data in events)


async def test_the_detail_stream_ends_with_its_job(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(feed_module, "TICK_SECONDS", 0.05)
    async with running_api(api_settings(tmp_path)) as (_client, state):
        job, _ = await job_rows.create_job(state.rt.db, sketch(4))
        seen: list[str] = []

        async def read() -> None:
            async for event in detail_events(state, job.id, lifetime=10):
                seen.append(event["event"])

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.3)
        await job_rows.transition(state.rt.db, job.id, JobState.CANCELED)
        await asyncio.wait_for(reader, 5)
        assert seen[-2:] == ["detail", "end"]
