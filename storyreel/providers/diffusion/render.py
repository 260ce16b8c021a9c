"""One render on the warm pipeline: inputs in, files out, progress and cancel in between.

Renders run one at a time on this process's single render thread (one pipeline per
process; the GPU does one thing at a time anyway). The pipeline's per-step callback writes
the step count into the ``Render`` (what ``poll`` reports as progress) and, once a cancel
was asked for, sets the pipeline's interrupt flag: the remaining steps are skipped and the
half-finished output is thrown away.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image

from storyreel.config import LocalSettings
from storyreel.errors import InputError
from storyreel.media.frames import write_frames_mp4
from storyreel.vocabulary import GenerationRequest, Task

from .device import require_torch
from .loader import pipeline_for

DEFAULT_STEPS = 25
"""Seed 001's ``num_inference_steps`` default."""
DEFAULT_SIZE = 512
"""Size of a model whose pipeline does not say its native one."""
DEFAULT_STRENGTH = 0.75
IP_ADAPTER_SCALE = 1.0
"""How strongly reference images steer a render (diffusers' default for a loaded adapter)."""
T = TypeVar("T")
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storyreel-local-render")


class RenderCanceled(Exception):
    """The render was interrupted on request; its output was discarded."""


@dataclass
class Inputs:
    """The images a request brings, decoded (RGB; the mask as L)."""

    init: Image.Image | None = None
    mask: Image.Image | None = None
    references: list[Image.Image] = field(default_factory=list)


@dataclass
class Render:
    """A render in flight or done, as ``poll`` and ``cancel`` see it."""

    request_id: str
    total_steps: int
    outputs: list[Path]
    step: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)
    future: Future[list[Path]] | None = None
    marker: Path | None = None
    """A file whose existence also asks for a cancel: written by ``storyreel jobs cancel``
    run in another process on this host, which cannot reach ``cancel``."""

    def canceled(self) -> bool:
        if not self.cancel.is_set() and self.marker is not None and self.marker.exists():
            self.cancel.set()
        return self.cancel.is_set()

    @property
    def progress(self) -> float:
        return min(1.0, self.step / max(1, self.total_steps))


def effective_steps(req: GenerationRequest) -> int:
    """The denoising steps the pipeline will really run: image-to-image and inpainting
    run ``strength`` of them (diffusers skips the rest)."""
    steps = req.steps or DEFAULT_STEPS
    if req.task in (Task.IMAGE_TO_IMAGE, Task.INPAINT):
        return max(1, int(steps * strength(req)))
    return steps


def strength(req: GenerationRequest) -> float:
    value = req.extra.get("strength", DEFAULT_STRENGTH)
    if not isinstance(value, int | float) or not 0 < float(value) <= 1:
        raise InputError(f"local: strength must be a number in (0, 1], got {value!r}")
    return float(value)


def _size(req: GenerationRequest, pipe: Any, init: Image.Image | None) -> tuple[int, int]:
    """The requested size; without one, the init image's (rounded down to multiples of 8),
    else the model's native size, which is what seed 001's server got by passing none."""
    if req.width and req.height:
        width, height = req.width, req.height
    elif init is not None:
        width, height = max(8, init.width // 8 * 8), max(8, init.height // 8 * 8)
    else:
        native = _native_size(pipe)
        width, height = req.width or native, req.height or native
    if width % 8 or height % 8:
        raise InputError(f"local: width and height must be multiples of 8, got {width}x{height}")
    return width, height


def _native_size(pipe: Any) -> int:
    """What diffusers renders when no size is given: the UNet's sample size in pixels."""
    try:
        return int(pipe.unet.config.sample_size * pipe.vae_scale_factor)
    except (AttributeError, TypeError):
        return DEFAULT_SIZE


def _call_args(req: GenerationRequest, inputs: Inputs, loaded: Any, pipe: Any) -> dict[str, Any]:
    torch = require_torch()
    width, height = _size(req, pipe, inputs.init)
    generator = torch.Generator(device="cpu")
    generator.manual_seed(req.seed if req.seed is not None else 0)
    args: dict[str, Any] = {
        "generator": generator,
        "num_inference_steps": req.steps or DEFAULT_STEPS,
    }
    if req.task is Task.IMAGE_TO_VIDEO:
        assert inputs.init is not None
        args.update(
            image=inputs.init.resize((width, height)),
            width=width,
            height=height,
            num_frames=_frames(req),
        )
        return args
    args.update(
        prompt=req.prompt,
        negative_prompt=req.negative_prompt or None,
        num_images_per_prompt=req.count,
        width=width,
        height=height,
    )
    if req.guidance is not None:
        args["guidance_scale"] = req.guidance
    if req.task in (Task.IMAGE_TO_IMAGE, Task.INPAINT):
        assert inputs.init is not None
        args["image"] = inputs.init.resize((width, height))
        args["strength"] = strength(req)
        if req.task is Task.IMAGE_TO_IMAGE:
            # Image-to-image pipelines take their size from the image.
            args.pop("width")
            args.pop("height")
    if req.task is Task.INPAINT:
        assert inputs.mask is not None
        args["mask_image"] = inputs.mask.resize((width, height))
    if inputs.references and not loaded.ip_adapter:
        raise InputError(
            "local: reference images need an IP-Adapter: set STORYREEL_LOCAL__IP_ADAPTER"
        )
    if loaded.ip_adapter:
        args["ip_adapter_image"] = _ip_adapter_image(pipe, inputs)
    return args


def _ip_adapter_image(pipe: Any, inputs: Inputs) -> Any:
    """What the loaded IP-Adapter sees. A UNet with one loaded fails on any call without
    an image for it, so a request without references gets a blank one at scale 0 (its image
    tokens add nothing: the same image as without the adapter). All references go to the
    one adapter (their image tokens side by side)."""
    if inputs.references:
        pipe.set_ip_adapter_scale(IP_ADAPTER_SCALE)
        return [inputs.references]
    pipe.set_ip_adapter_scale(0.0)
    return [[Image.new("RGB", (64, 64))]]


def _frames(req: GenerationRequest) -> int:
    fps = req.fps or 7
    return max(2, min(81, round((req.duration or 2.0) * fps)))


def run_render(
    render: Render, req: GenerationRequest, inputs: Inputs, local: LocalSettings
) -> list[Path]:
    """Render ``req`` on the warm pipeline into ``render.outputs`` (blocking)."""
    loaded = pipeline_for(req.model_name, local, req.task)
    pipe = loaded.for_task(req.task)

    def on_step_end(
        pipeline: Any, step: int, timestep: Any, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        render.step = step + 1
        if render.canceled():
            pipeline._interrupt = True
        return kwargs

    if render.canceled():
        raise RenderCanceled(render.request_id)
    args = _call_args(req, inputs, loaded, pipe)
    out = pipe(**args, callback_on_step_end=on_step_end)
    if render.canceled():
        raise RenderCanceled(render.request_id)
    if req.task is Task.IMAGE_TO_VIDEO:
        frames: Sequence[Image.Image] = out.frames[0]
        write_frames_mp4(frames, render.outputs[0], fps=req.fps or 7)
        return render.outputs
    for image, path in zip(out.images, render.outputs, strict=True):
        tmp = path.with_suffix(".part.png")
        image.save(tmp, format="PNG")
        tmp.replace(path)
    render.step = render.total_steps
    return render.outputs


def submit_blocking(fn: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``fn`` on the render thread (loading a model ahead of the first job)."""
    return _executor.submit(fn, *args)


def start(render: Render, req: GenerationRequest, inputs: Inputs, local: LocalSettings) -> Render:
    """Queue ``render`` on the render thread; returns at once."""
    render.future = _executor.submit(run_render, render, req, inputs, local)
    return render
