"""The ``local`` provider end to end on the CPU: real loading code, a tiny random model."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image

from storyreel.config import LocalSettings
from storyreel.errors import FailureReason, InputError
from storyreel.media.images import image_to_png
from storyreel.media.probe import probe_video
from storyreel.providers.diffusion import loader
from storyreel.providers.diffusion.provider import DiffusersProvider
from storyreel.providers.types import Handle, JobState, Status
from storyreel.testing.tiny_diffusers import build_tiny_ip_adapter
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

from .conftest import make_provider


async def finish(provider: DiffusersProvider, handle: Handle, limit: float = 120) -> Status:
    """Poll until the render ends; the progress seen never goes backwards."""
    seen: list[float] = []
    for _ in range(int(limit / 0.02)):
        status = await provider.poll(handle)
        if status.progress is not None:
            seen.append(status.progress)
        if status.state.terminal:
            assert seen == sorted(seen)
            return status
        await asyncio.sleep(0.02)
    raise AssertionError("render did not finish")


def put(provider: DiffusersProvider, img: Image.Image) -> str:
    sha, _ = provider.ctx.assets.put(image_to_png(img), "image/png")
    return sha


def request(task: Task, **fields: object) -> GenerationRequest:
    base: dict[str, object] = {
        "task": task,
        "model": "local:tiny",
        "prompt": "a red cat on the house",
        "width": 64,
        "height": 64,
        "steps": 2,
    }
    return GenerationRequest.model_validate(base | fields)


async def images(
    provider: DiffusersProvider, req: GenerationRequest, job: str
) -> list[Image.Image]:
    handle = await provider.submit(req, job_id=job, webhook_url=None)
    status = await finish(provider, handle)
    assert status.state is JobState.SUCCEEDED, status.message
    artifacts = await provider.result(handle)
    assert all(a.mime == "image/png" for a in artifacts)
    out = []
    for artifact in artifacts:
        assert artifact.path is not None
        out.append(Image.open(io.BytesIO(artifact.path.read_bytes())))
    return out


async def test_text_to_image_makes_images_of_the_requested_size(
    provider: DiffusersProvider,
) -> None:
    made = await images(provider, request(Task.TEXT_TO_IMAGE, width=80, height=64, count=2), "j1")
    assert [img.size for img in made] == [(80, 64), (80, 64)]
    assert loader.warm_model() == "tiny"


async def test_the_model_is_loaded_once_and_kept_warm(provider: DiffusersProvider) -> None:
    await images(provider, request(Task.TEXT_TO_IMAGE), "w1")
    warm = loader.pipeline_for("tiny", provider.ctx.local, Task.TEXT_TO_IMAGE).pipe
    await images(provider, request(Task.TEXT_TO_IMAGE, seed=3), "w2")
    init = put(provider, Image.new("RGB", (64, 64)))
    i2i = request(Task.IMAGE_TO_IMAGE, references=[Reference(role=RefRole.INIT_IMAGE, asset=init)])
    await images(provider, i2i, "w3")
    again = loader.pipeline_for("tiny", provider.ctx.local, Task.IMAGE_TO_IMAGE)
    assert again.pipe is warm
    assert again.for_task(Task.IMAGE_TO_IMAGE).unet is warm.unet  # shared weights


async def test_same_seed_same_image_different_seed_different_image(
    provider: DiffusersProvider,
) -> None:
    a = await images(provider, request(Task.TEXT_TO_IMAGE, seed=7), "s1")
    b = await images(provider, request(Task.TEXT_TO_IMAGE, seed=7), "s2")
    c = await images(provider, request(Task.TEXT_TO_IMAGE, seed=8), "s3")
    assert a[0].tobytes() == b[0].tobytes()
    assert a[0].tobytes() != c[0].tobytes()


async def test_image_to_image_and_inpaint_use_the_init_image_and_mask(
    provider: DiffusersProvider,
) -> None:
    init = put(provider, Image.new("RGB", (96, 96), (200, 30, 30)))
    mask = put(provider, Image.new("L", (96, 96), 255))
    i2i = request(
        Task.IMAGE_TO_IMAGE,
        width=72,
        height=64,
        references=[Reference(role=RefRole.INIT_IMAGE, asset=init)],
        extra={"strength": 0.5},
    )
    assert [img.size for img in await images(provider, i2i, "i1")] == [(72, 64)]
    inpaint = request(
        Task.INPAINT,
        references=[
            Reference(role=RefRole.INIT_IMAGE, asset=init),
            Reference(role=RefRole.MASK, asset=mask),
        ],
    )
    assert [img.size for img in await images(provider, inpaint, "p1")] == [(64, 64)]


async def test_bad_requests_are_refused_before_any_render(provider: DiffusersProvider) -> None:
    with pytest.raises(InputError, match="init_image"):
        await provider.submit(request(Task.IMAGE_TO_IMAGE), job_id="b1", webhook_url=None)
    init = put(provider, Image.new("RGB", (64, 64)))
    refs = [Reference(role=RefRole.INIT_IMAGE, asset=init)]
    with pytest.raises(InputError, match="mask"):
        await provider.submit(request(Task.INPAINT, references=refs), job_id="b2", webhook_url=None)
    with pytest.raises(InputError, match="strength"):
        bad = request(Task.IMAGE_TO_IMAGE, references=refs, extra={"strength": 3})
        await provider.submit(bad, job_id="b3", webhook_url=None)
    with pytest.raises(InputError, match="not on this machine"):
        await provider.submit(
            request(Task.TEXT_TO_IMAGE, model="local:nobody/nothing"), job_id="b4", webhook_url=None
        )


async def test_cancel_interrupts_the_render_and_keeps_no_output(
    provider: DiffusersProvider,
) -> None:
    req = request(Task.TEXT_TO_IMAGE, steps=200)
    handle = await provider.submit(req, job_id="c1", webhook_url=None)
    for _ in range(3000):
        status = await provider.poll(handle)
        if (status.progress or 0) > 0:
            break
        await asyncio.sleep(0.02)
    assert status.state is JobState.RUNNING
    await provider.cancel(handle)
    status = await finish(provider, handle)
    assert status.state is JobState.CANCELED
    assert status.error_reason is FailureReason.CANCELED
    assert (status.progress or 0) < 1
    assert not any(Path(p).exists() for p in handle.data["outputs"])


async def test_a_cancel_from_another_process_on_this_host_stops_the_render(
    provider: DiffusersProvider,
) -> None:
    """``storyreel jobs cancel`` runs in its own process: it holds no render, only the
    handle. Its cancel must still reach the worker's render (through the scratch dir)."""
    from storyreel.providers.diffusion import provider as module

    handle = await provider.submit(
        request(Task.TEXT_TO_IMAGE, steps=200), job_id="x1", webhook_url=None
    )
    render = module._renders.pop(handle.request_id)  # as another process sees it: none
    try:
        await provider.cancel(handle)
    finally:
        module._renders[handle.request_id] = render
    status = await finish(provider, handle)
    assert status.state is JobState.CANCELED
    assert render.step < 200


async def test_a_render_lost_with_its_process_is_restarted_on_poll(
    provider: DiffusersProvider,
) -> None:
    handle = await provider.submit(request(Task.TEXT_TO_IMAGE), job_id="r1", webhook_url=None)
    await finish(provider, handle)
    for path in handle.data["outputs"]:
        Path(path).unlink()
    from storyreel.providers.diffusion import provider as module

    module._renders.clear()  # what a new process sees: a handle, no render
    status = await provider.poll(handle)
    assert status.state is JobState.RUNNING
    assert (await finish(provider, handle)).state is JobState.SUCCEEDED


@pytest.mark.slow
async def test_image_to_video_on_a_video_pipeline_makes_a_clip(
    provider: DiffusersProvider, video_model: str
) -> None:
    first = put(provider, Image.new("RGB", (80, 80), (30, 90, 200)))
    req = request(
        Task.IMAGE_TO_VIDEO,
        model=f"local:{video_model}",
        duration=0.5,
        fps=6,
        references=[Reference(role=RefRole.FIRST_FRAME, asset=first)],
    )
    handle = await provider.submit(req, job_id="v1", webhook_url=None)
    status = await finish(provider, handle, limit=600)
    assert status.state is JobState.SUCCEEDED, status.message
    [clip] = await provider.result(handle)
    assert clip.mime == "video/mp4" and clip.path is not None
    info = probe_video(clip.path)
    assert (info.frames, info.width, info.height) == (3, 64, 64)


async def test_image_to_video_is_refused_on_an_image_model(provider: DiffusersProvider) -> None:
    first = put(provider, Image.new("RGB", (64, 64)))
    req = request(
        Task.IMAGE_TO_VIDEO, references=[Reference(role=RefRole.FIRST_FRAME, asset=first)]
    )
    with pytest.raises(InputError, match="not a video pipeline"):
        await provider.submit(req, job_id="v2", webhook_url=None)


@pytest.fixture(scope="session")
def ip_adapter(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny random-weight IP-Adapter in h94/IP-Adapter's layout, as the setting names it."""
    folder = build_tiny_ip_adapter(tmp_path_factory.mktemp("adapters") / "ip")
    return f"{folder}:models:ip-adapter.safetensors"


async def test_reference_images_steer_the_render_through_the_ip_adapter(
    local: LocalSettings, ip_adapter: str, tmp_path: Path
) -> None:
    plain = make_provider(local, tmp_path)
    without = await images(plain, request(Task.TEXT_TO_IMAGE, seed=5), "ip0")
    provider = make_provider(local.model_copy(update={"ip_adapter": ip_adapter}), tmp_path)
    try:
        refs = {
            color: put(provider, Image.new("RGB", (48, 40), rgb))
            for color, rgb in {"red": (220, 20, 20), "blue": (20, 20, 220)}.items()
        }

        def with_ref(*names: str) -> GenerationRequest:
            role = [RefRole.CHARACTER, RefRole.STYLE]
            refs_ = [Reference(role=role[i % 2], asset=refs[n]) for i, n in enumerate(names)]
            return request(Task.REFERENCE_TO_IMAGE, seed=5, width=72, references=refs_)

        [red] = await images(provider, with_ref("red"), "ip1")
        [blue] = await images(provider, with_ref("blue"), "ip2")
        [both] = await images(provider, with_ref("red", "blue"), "ip3")
        # Text-to-image on the same warm pipeline: the adapter adds nothing without a reference.
        [still] = await images(provider, request(Task.TEXT_TO_IMAGE, seed=5), "ip4")
        init = [Reference(role=RefRole.INIT_IMAGE, asset=refs["blue"])]
        [i2i] = await images(provider, request(Task.IMAGE_TO_IMAGE, references=init), "ip6")
        assert loader.pipeline_for("tiny", provider.ctx.local, Task.TEXT_TO_IMAGE).ip_adapter
    finally:
        loader.unload()
    assert red.size == blue.size == both.size == (72, 64)
    assert i2i.size == (64, 64)  # the other tasks share the adapter-loaded weights
    assert len({red.tobytes(), blue.tobytes(), both.tobytes()}) == 3
    assert red.resize((64, 64)).tobytes() != without[0].tobytes()
    worst = max(abs(a - b) for a, b in zip(still.tobytes(), without[0].tobytes(), strict=True))
    assert worst <= 1


async def test_reference_images_without_an_ip_adapter_are_refused_at_submit(
    provider: DiffusersProvider,
) -> None:
    ref = put(provider, Image.new("RGB", (64, 64)))
    req = request(Task.REFERENCE_TO_IMAGE, references=[Reference(role=RefRole.STYLE, asset=ref)])
    with pytest.raises(InputError, match="IP_ADAPTER"):
        await provider.submit(req, job_id="ip5", webhook_url=None)
