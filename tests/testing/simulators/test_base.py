"""What every simulator shares: a job's outputs are ready at the latency it promises."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storyreel.media.probe import probe_video
from storyreel.testing.simulators.base import FileStore, SimConfig, SimJob
from storyreel.testing.simulators.fal import FalSimulator

RENDER_SECONDS = 1.0


class SlowRender(FalSimulator):
    """A fal simulator whose renders take a known second, and say when they began."""

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.state_at_render: dict[str, str] = {}

    async def _render(self, job: SimJob) -> list[str]:
        self.state_at_render[job.id] = job.state
        await asyncio.sleep(RENDER_SECONDS)
        return await super()._render(job)


def clip_body() -> dict[str, object]:
    return {"prompt": "a slow pan over a harbour", "image_url": "x", "duration": "2"}


async def wait_done(job: SimJob) -> None:
    assert job.task is not None
    await job.task


async def test_a_video_is_rendered_under_its_latency_not_after_it(tmp_path: Path) -> None:
    latency = 1.5
    sim = SlowRender(SimConfig(video_latency=latency), FileStore(tmp_path, ttl=60))
    try:
        job = sim.start_job("fal-ai/veo3.1/fast/image-to-video", "video", clip_body())
        await wait_done(job)
    finally:
        await sim.aclose()
    assert job.state == "succeeded"
    assert sim.state_at_render[job.id] == "queued"  # rendering began at the submission
    assert job.finished is not None
    # After the latency it would be latency + render (2.5 s): under it, about 1.5 s.
    assert job.finished - job.created < latency + RENDER_SECONDS * 0.6
    [url] = job.outputs
    path = sim.files.get(url.rsplit("/", 1)[-1])
    assert path is not None
    info = probe_video(path)
    assert info.frames > 0 and info.width > 0 and info.height > 0


async def test_a_failing_or_canceled_job_drops_its_render(tmp_path: Path) -> None:
    sim = SlowRender(SimConfig(video_latency=0.2, fail_rate=1.0), FileStore(tmp_path, ttl=60))
    try:
        failed = sim.start_job("fal-ai/veo3.1/fast/image-to-video", "video", clip_body())
        await wait_done(failed)
        sim.own_fail_rate = 0.0
        canceled = sim.start_job("fal-ai/veo3.1/fast/image-to-video", "video", clip_body())
        await asyncio.sleep(0.05)
        assert sim.cancel(canceled)
        await asyncio.sleep(RENDER_SECONDS + 0.5)
    finally:
        await sim.aclose()
    assert failed.state == "failed" and failed.outputs == []
    assert canceled.state == "canceled" and canceled.outputs == []
    assert not list(tmp_path.glob(f"*{canceled.id}*.mp4"))
