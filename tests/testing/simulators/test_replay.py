"""Replayed renders: one render per shape, served as copies that decode to the same pixels
but are distinct files (so storyreel stores and derives from each as from a real
provider's output)."""

from __future__ import annotations

import asyncio
import hashlib
import io
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image

from storyreel.media.images import image_to_png
from storyreel.media.probe import probe_video
from storyreel.testing.simulators import base
from storyreel.testing.simulators.base import FileStore, SimConfig, SimJob
from storyreel.testing.simulators.fal import FalSimulator
from storyreel.testing.simulators.replay import with_mark

CLIP = "fal-ai/veo3.1/fast/image-to-video"


def clip_body(prompt: str) -> dict[str, object]:
    return {"prompt": prompt, "image_url": "x", "duration": "2"}


def frames_of(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24").tobytes() for frame in container.decode(video=0)]


def test_a_marked_png_has_the_same_pixels_and_other_bytes() -> None:
    png = image_to_png(Image.new("RGB", (40, 30), (200, 60, 40)))
    a, b = with_mark(png, "job-a"), with_mark(png, "job-b")
    assert len({png, a, b}) == 3
    for marked in (a, b):
        with Image.open(io.BytesIO(marked)) as image:
            image.load()  # a broken chunk CRC would raise here
            assert image.tobytes() == Image.open(io.BytesIO(png)).tobytes()
            assert image.text["storyreel-sim"] in ("job-a", "job-b")  # type: ignore[attr-defined]


def test_other_files_are_refused() -> None:
    with pytest.raises(ValueError, match="PNG and MP4"):
        with_mark(b"ID3\x04 an mp3", "job")


async def run_jobs(sim: FalSimulator, prompts: list[str]) -> list[SimJob]:
    jobs = [sim.start_job(CLIP, "video", clip_body(p)) for p in prompts]
    await asyncio.gather(*(job.task for job in jobs if job.task is not None))
    return jobs


def output_path(sim: FalSimulator, job: SimJob) -> Path:
    [url] = job.outputs
    path = sim.files.get(url.rsplit("/", 1)[-1])
    assert path is not None
    return path


@pytest.mark.parametrize("reuse", [True, False])
async def test_jobs_side_by_side_share_one_render_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reuse: bool
) -> None:
    renders = 0
    render = base.render_motion_clip

    async def counted(*args: Any, **kwargs: Any) -> None:
        nonlocal renders
        renders += 1
        await render(*args, **kwargs)

    monkeypatch.setattr(base, "render_motion_clip", counted)
    config = SimConfig(video_latency=0.3, reuse_renders=reuse)
    sim = FalSimulator(config, FileStore(tmp_path, ttl=60))
    try:
        jobs = await run_jobs(sim, ["slow push in on a harbour", "pan left over a market"])
        later = await run_jobs(sim, ["tilt up to the sky"])
    finally:
        await sim.aclose()
    assert all(job.state == "succeeded" for job in jobs + later)
    assert renders == (1 if reuse else 3)
    paths = [output_path(sim, job) for job in jobs + later]
    assert len({hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}) == 3
    infos = {(i.frames, i.width, i.height) for i in map(probe_video, paths)}
    assert len(infos) == 1 and next(iter(infos))[0] > 0
    if reuse:  # the same picture, frame by frame
        assert frames_of(paths[0]) == frames_of(paths[1]) == frames_of(paths[2])


async def test_another_shape_is_rendered_on_its_own(tmp_path: Path) -> None:
    sim = FalSimulator(SimConfig(latency=0.1, reuse_renders=True), FileStore(tmp_path, ttl=60))
    try:
        small, large = (
            sim.start_job("fal-ai/flux/dev", "image", {"prompt": "a cat", "image_size": size})
            for size in ({"width": 64, "height": 64}, {"width": 128, "height": 96})
        )
        await asyncio.gather(*(job.task for job in (small, large) if job.task is not None))
    finally:
        await sim.aclose()
    sizes = {Image.open(output_path(sim, job)).size for job in (small, large)}
    assert sizes == {(64, 64), (128, 96)}
