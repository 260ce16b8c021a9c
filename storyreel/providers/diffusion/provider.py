"""The ``local`` provider: diffusers pipelines on this machine, ``local:<model>`` ids.

``submit`` checks the request, decodes its images and queues the render on the process's
render thread, returning at once; ``poll`` reports the render's step progress; ``cancel``
sets the pipeline's interrupt flag. Outputs are named by job id in the scratch dir, so a
render lost with its process (the handle survives, the render does not) is started again
by the next ``poll`` in whichever process resumed the job: a local render costs nothing.

Jobs of this provider run only in processes that host a model (``host_bound``):
``storyreel worker --local`` or ``STORYREEL_LOCAL__WORKER=true``.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import ClassVar

from PIL import Image

from storyreel.errors import ConfigError, FailureReason, InputError, StoryreelError
from storyreel.localmodels import VIDEO_PIPELINES, locate
from storyreel.providers.local import LocalProvider
from storyreel.providers.registry import Register
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status
from storyreel.vocabulary import GenerationRequest, RefRole, Task

from . import render as renders
from .device import INSTALL_HINT, extra_installed
from .loader import resolve_source

_renders: dict[str, renders.Render] = {}
"""Renders of this process by request id (a process holds one pipeline: see loader)."""


class DiffusersProvider(LocalProvider):
    name = "local"
    tasks = frozenset(
        {Task.TEXT_TO_IMAGE, Task.IMAGE_TO_IMAGE, Task.INPAINT, Task.REFERENCE_TO_IMAGE}
        | {Task.IMAGE_TO_VIDEO}
    )
    max_references = 3
    output_mime = "image/png"
    host_bound: ClassVar[bool] = True
    default_worker_concurrency: ClassVar[int | None] = 1

    def available(self) -> bool:
        return extra_installed()

    def check(self, req: GenerationRequest) -> None:
        if not extra_installed():
            raise ConfigError(INSTALL_HINT)
        super().check(req)
        if req.task in (Task.IMAGE_TO_IMAGE, Task.INPAINT) and not req.refs(RefRole.INIT_IMAGE):
            raise InputError(f"local: {req.task} needs an init_image reference")
        if req.task is Task.INPAINT and not req.refs(RefRole.MASK):
            raise InputError("local: inpaint needs a mask reference (white = repaint)")
        if req.task is Task.IMAGE_TO_VIDEO:
            if not (req.refs(RefRole.FIRST_FRAME) or req.refs(RefRole.INIT_IMAGE)):
                raise InputError("local: image-to-video needs a first_frame reference")
            self._check_video_model(req)
        if req.task is Task.REFERENCE_TO_IMAGE and not self._refs(req):
            raise InputError("local: reference-to-image needs a character or style reference")
        if self._refs(req) and not self.ctx.local.ip_adapter:
            raise InputError(
                "local: reference images need an IP-Adapter: set STORYREEL_LOCAL__IP_ADAPTER"
            )
        renders.strength(req)
        resolve_source(req.model_name, self.ctx.local)

    def _check_video_model(self, req: GenerationRequest) -> None:
        model = locate(req.model_name, self.ctx.local)
        if model is not None and model.pipeline not in VIDEO_PIPELINES:
            raise InputError(
                f"local:{req.model_name} is a {model.pipeline}, not a video pipeline; "
                "set STORYREEL_LOCAL__VIDEO_MODEL to one (Stable Video Diffusion, Wan)"
            )

    @staticmethod
    def _refs(req: GenerationRequest) -> list[str]:
        return [r.asset for r in req.references if r.role in (RefRole.CHARACTER, RefRole.STYLE)]

    def _image(self, asset: str, mime: str, mode: str) -> Image.Image:
        path = self.ctx.assets.path(asset, mime)
        if not path.exists():
            raise InputError(f"local: reference image {asset[:12]} is not in the store")
        with Image.open(io.BytesIO(path.read_bytes())) as img:
            return img.convert(mode)

    def _inputs(self, req: GenerationRequest) -> renders.Inputs:
        inputs = renders.Inputs()
        first = req.refs(RefRole.INIT_IMAGE) or req.refs(RefRole.FIRST_FRAME)
        if first:
            inputs.init = self._image(first[0].asset, first[0].mime, "RGB")
        for ref in req.refs(RefRole.MASK)[:1]:
            inputs.mask = self._image(ref.asset, ref.mime, "L")
        for ref in req.references:
            if ref.role in (RefRole.CHARACTER, RefRole.STYLE):
                inputs.references.append(self._image(ref.asset, ref.mime, "RGB"))
        return inputs

    def _outputs(self, req: GenerationRequest, request_id: str) -> list[Path]:
        if req.task is Task.IMAGE_TO_VIDEO:
            return [self.scratch_path(request_id, ".mp4")]
        return [self.scratch_path(f"{request_id}-{i}", ".png") for i in range(req.count)]

    def _start(self, req: GenerationRequest, request_id: str) -> renders.Render:
        job = renders.Render(
            request_id=request_id,
            total_steps=renders.effective_steps(req),
            outputs=self._outputs(req, request_id),
            marker=self._cancel_marker(request_id),
        )
        _renders[request_id] = job
        return renders.start(job, req, self._inputs(req), self.ctx.local)

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        self.check(req)
        request_id = f"{self.name}-{job_id}"
        previous = _renders.get(request_id)
        if previous is None or previous.future is None or previous.future.done():
            previous = self._start(req, request_id)
        return Handle(
            provider=self.name,
            request_id=request_id,
            data={
                "outputs": [str(p) for p in previous.outputs],
                "request": req.model_dump(mode="json"),
            },
        )

    async def poll(self, handle: Handle) -> Status:
        job = _renders.get(handle.request_id)
        if job is None:
            return self._resume(handle)
        if job.future is None or not job.future.done():
            return Status(state=JobState.RUNNING, progress=job.progress)
        error = job.future.exception()
        if error is None:
            return Status(state=JobState.SUCCEEDED, progress=1.0)
        if isinstance(error, renders.RenderCanceled):
            return Status(
                state=JobState.CANCELED,
                message="canceled",
                error_reason=FailureReason.CANCELED,
                error_code="canceled",
            )
        reason = FailureReason.INPUT if isinstance(error, InputError) else FailureReason.UNKNOWN
        if isinstance(error, StoryreelError) and not isinstance(error, InputError):
            reason = FailureReason.MODEL_FAILED
        return Status(
            state=JobState.FAILED,
            message=f"local render failed: {error}",
            error_reason=reason,
            error_code=type(error).__name__,
        )

    def _resume(self, handle: Handle) -> Status:
        """A handle whose render this process does not hold: done files, or a render that
        died with its process, which is started again here."""
        outputs = [Path(p) for p in handle.data.get("outputs", [])]
        if outputs and all(p.exists() for p in outputs):
            return Status(state=JobState.SUCCEEDED, progress=1.0)
        req = GenerationRequest.model_validate(handle.data["request"])
        self._start(req, handle.request_id)
        return Status(state=JobState.RUNNING, progress=0.0, message="render restarted")

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        req = GenerationRequest.model_validate(handle.data["request"])
        mime = "video/mp4" if req.task is Task.IMAGE_TO_VIDEO else self.output_mime
        artifacts = await super().result(handle)
        _renders.pop(handle.request_id, None)
        self._cancel_marker(handle.request_id).unlink(missing_ok=True)
        return [a.model_copy(update={"mime": mime}) for a in artifacts]

    def _cancel_marker(self, request_id: str) -> Path:
        return self.scratch_path(request_id, ".cancel")

    async def cancel(self, handle: Handle) -> None:
        """Interrupt the render at its next step (or before it starts). A process that
        does not hold the render (``storyreel jobs cancel`` beside a worker on this host)
        leaves a marker file the render checks at every step."""
        job = _renders.get(handle.request_id)
        if job is not None:
            job.cancel.set()
        else:
            self._cancel_marker(handle.request_id).touch()


def register_providers(register: Register) -> None:
    register(DiffusersProvider)
