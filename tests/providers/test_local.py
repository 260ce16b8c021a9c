"""The offline providers through the Provider interface, without the engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from storyreel.config import ProviderSettings
from storyreel.errors import FailureReason, InputError
from storyreel.media.images import image_to_png
from storyreel.media.probe import probe_video
from storyreel.providers.base import ProviderContext
from storyreel.providers.motion import MotionProvider
from storyreel.providers.sketch.provider import SketchProvider
from storyreel.providers.types import JobState
from storyreel.store.assets import AssetStore
from storyreel.vocabulary import (
    GenerationRequest,
    Reference,
    RefRole,
    ShotCharacter,
    ShotInfo,
    Task,
)


def context(tmp_path: Path, latency: float = 0.0) -> ProviderContext:
    return ProviderContext(
        settings=ProviderSettings(latency=latency),
        assets=AssetStore(tmp_path / "assets"),
        scratch_dir=tmp_path / "scratch",
    )


SHOT = ShotInfo(
    action="Mira waves from the gallery",
    setting="lighthouse at dawn",
    camera="medium shot",
    label="Shot 9",
    characters=(ShotCharacter(name="Mira", description="red hair, green raincoat"),),
)


def panel(**fields: object) -> GenerationRequest:
    base: dict[str, object] = {
        "task": Task.TEXT_TO_IMAGE,
        "model": "sketch:previz",
        "prompt": "ignored when shot given",
        "width": 320,
        "height": 180,
        "seed": 3,
        "shot": SHOT,
    }
    return GenerationRequest.model_validate(base | fields)


async def test_sketch_is_deterministic_and_sized(tmp_path: Path) -> None:
    provider = SketchProvider(context(tmp_path))
    first = await provider.submit(panel(), job_id="J1", webhook_url=None)
    second = await provider.submit(panel(), job_id="J2", webhook_url=None)
    assert (await provider.poll(first)).state is JobState.SUCCEEDED
    [a] = await provider.result(first)
    [b] = await provider.result(second)
    assert a.path is not None and b.path is not None
    assert a.path.read_bytes() == b.path.read_bytes()
    with Image.open(a.path) as image:
        assert image.size == (320, 180)


async def test_sketch_draws_the_shot_not_just_the_prompt(tmp_path: Path) -> None:
    provider = SketchProvider(context(tmp_path))
    night = panel(shot=SHOT.model_copy(update={"setting": "harbour at night, rain"}))
    outputs = []
    for job_id, req in (("A", panel()), ("B", night)):
        handle = await provider.submit(req, job_id=job_id, webhook_url=None)
        [artifact] = await provider.result(handle)
        assert artifact.path is not None
        outputs.append(artifact.path.read_bytes())
    assert outputs[0] != outputs[1]


async def test_count_gives_that_many_distinct_outputs(tmp_path: Path) -> None:
    provider = SketchProvider(context(tmp_path))
    handle = await provider.submit(panel(count=3), job_id="J", webhook_url=None)
    paths = [a.path for a in await provider.result(handle)]
    assert len(paths) == 3 and len({p.read_bytes() for p in paths if p}) == 3


async def test_latency_makes_a_local_provider_look_remote(tmp_path: Path) -> None:
    provider = SketchProvider(context(tmp_path, latency=0.3))
    handle = await provider.submit(panel(), job_id="J", webhook_url=None)
    early = await provider.poll(handle)
    assert early.state is JobState.RUNNING and early.progress is not None
    await asyncio.sleep(0.35)
    assert (await provider.poll(handle)).state is JobState.SUCCEEDED


async def test_vanished_output_fails_the_job(tmp_path: Path) -> None:
    provider = SketchProvider(context(tmp_path))
    handle = await provider.submit(panel(), job_id="J", webhook_url=None)
    Path(handle.data["outputs"][0]).unlink()
    status = await provider.poll(handle)
    assert status.state is JobState.FAILED and status.error_code == "output_missing"
    assert status.error_reason is FailureReason.UNKNOWN


def test_capability_checks(tmp_path: Path) -> None:
    provider = SketchProvider(context(tmp_path))
    with pytest.raises(InputError, match="cannot do image-to-video"):
        provider.check(panel(task=Task.IMAGE_TO_VIDEO, width=320, height=180))
    motion = MotionProvider(context(tmp_path))
    with pytest.raises(InputError, match="first_frame"):
        motion.check(GenerationRequest(task=Task.IMAGE_TO_VIDEO, model="motion:k"))


async def test_motion_animates_a_stored_panel(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    png = image_to_png(Image.new("RGB", (320, 180), (200, 120, 40)))
    sha, _ = ctx.assets.put(png, "image/png")
    provider = MotionProvider(ctx)
    req = GenerationRequest(
        task=Task.IMAGE_TO_VIDEO,
        model="motion:kenburns",
        prompt="slow push in",
        references=(Reference(role=RefRole.FIRST_FRAME, asset=sha),),
        width=160,
        height=90,
        duration=1.0,
        fps=12,
    )
    handle = await provider.submit(req, job_id="J", webhook_url=None)
    [clip] = await provider.result(handle)
    assert clip.mime == "video/mp4" and clip.path is not None
    info = probe_video(clip.path)
    assert (info.frames, info.width, info.height, info.codec) == (12, 160, 90, "h264")
    bad = req.model_copy(update={"extra": {"motion": "barrel roll"}})
    with pytest.raises(InputError, match="unknown motion"):
        await provider.submit(bad, job_id="K", webhook_url=None)


async def test_a_lost_local_submit_is_reconciled_by_rendering_again(tmp_path: Path) -> None:
    """Local renders cost nothing and are named by job id: the engine may resubmit after a
    crash without flagging a double charge, and the second render replaces the first."""
    provider = SketchProvider(context(tmp_path))
    req = panel()
    assert provider.can_find_submitted(req)
    assert await provider.find_submitted(req, job_id="job-a", since=0.0) is None
    first = await provider.submit(req, job_id="job-a", webhook_url=None)
    again = await provider.submit(req, job_id="job-a", webhook_url=None)
    assert first.data["outputs"] == again.data["outputs"]
    assert len(list((tmp_path / "scratch" / "sketch").iterdir())) == 1
    assert MotionProvider(context(tmp_path)).can_find_submitted(req)
