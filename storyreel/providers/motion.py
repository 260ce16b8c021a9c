"""The ``motion`` provider: image-to-video offline, as a pan/zoom move over the panel.

The move is chosen from the motion prompt ("push in", "pan left", ...) unless
``extra["motion"]`` names one; the clip is rendered by the ffmpeg bundled in the
imageio-ffmpeg wheel.
"""

from __future__ import annotations

from storyreel.errors import InputError
from storyreel.media.morph import render_morph_clip
from storyreel.media.motion import MotionKind, motion_from_prompt, render_motion_clip
from storyreel.providers.local import LocalProvider
from storyreel.providers.registry import Register
from storyreel.providers.types import Handle
from storyreel.vocabulary import GenerationRequest, RefRole, Task

DEFAULT_SIZE = (1024, 576)


class MotionProvider(LocalProvider):
    name = "motion"
    tasks = frozenset({Task.IMAGE_TO_VIDEO, Task.FIRST_LAST_TO_VIDEO})
    max_references = 2
    output_mime = "video/mp4"

    def check(self, req: GenerationRequest) -> None:
        super().check(req)
        if not (req.refs(RefRole.FIRST_FRAME) or req.refs(RefRole.INIT_IMAGE)):
            raise InputError("motion needs a first_frame reference image to animate")
        if req.task is Task.FIRST_LAST_TO_VIDEO and not req.refs(RefRole.LAST_FRAME):
            raise InputError("motion: first-last-to-video needs a last_frame reference")

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        self.check(req)
        ref = (req.refs(RefRole.FIRST_FRAME) or req.refs(RefRole.INIT_IMAGE))[0]
        source = self.ctx.assets.path(ref.asset, ref.mime)
        if not source.exists():
            raise InputError(f"motion: reference image {ref.asset[:12]} is not in the store")
        named = req.extra.get("motion")
        try:
            motion = MotionKind(named) if named else motion_from_prompt(req.prompt)
        except ValueError:
            kinds = ", ".join(k.value for k in MotionKind)
            raise InputError(f"unknown motion {named!r}; use one of: {kinds}") from None
        out = self.scratch_path(f"{self.name}-{job_id}", ".mp4")
        if req.task is Task.FIRST_LAST_TO_VIDEO:
            last = req.refs(RefRole.LAST_FRAME)[0]
            await render_morph_clip(
                source,
                self.ctx.assets.path(last.asset, last.mime),
                out,
                duration=req.duration or 3.0,
                fps=req.fps or 24,
                width=req.width or DEFAULT_SIZE[0],
                height=req.height or DEFAULT_SIZE[1],
            )
            return self.local_handle(job_id, [out])
        await render_motion_clip(
            source,
            out,
            motion=motion,
            duration=req.duration or 3.0,
            fps=req.fps or 24,
            width=req.width or DEFAULT_SIZE[0],
            height=req.height or DEFAULT_SIZE[1],
        )
        return self.local_handle(job_id, [out])


def register_providers(register: Register) -> None:
    register(MotionProvider)
