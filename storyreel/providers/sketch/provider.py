"""The ``sketch`` provider: offline storyboard frames, no keys, no weights.

Same request, same pixels: the frame is drawn from the shot data the story pipeline puts in
``request.shot`` (setting, camera, characters, action), or parsed from the prompt alone for
a plain text-to-image request. Reference images are accepted (so the same story runs on a
real provider unchanged) but a character's look comes from its description.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from storyreel.media.images import image_to_png
from storyreel.providers.local import LocalProvider
from storyreel.providers.registry import Register
from storyreel.providers.types import Handle
from storyreel.vocabulary import GenerationRequest, RefRole, Task

from .frame import CharacterSpec, FrameSpec, frame_spec_from_prompt
from .reference import RGB, torso_colour
from .render import render_frame

DEFAULT_SIZE = (1024, 576)


def frame_spec_for(
    req: GenerationRequest, index: int = 0, tops: dict[str, RGB] | None = None
) -> FrameSpec:
    """The drawing instructions for output ``index`` of ``req``; ``tops``: the clothes'
    colour each named character's reference shows."""
    tops = tops or {}
    width = req.width or DEFAULT_SIZE[0]
    height = req.height or DEFAULT_SIZE[1]
    seed = (req.seed or 0) + index
    shot = req.shot
    if shot is None:
        return frame_spec_from_prompt(req.prompt, width=width, height=height, seed=seed)
    return FrameSpec(
        width=width,
        height=height,
        setting=shot.setting,
        action=shot.action or req.prompt,
        camera=shot.camera,
        characters=tuple(
            CharacterSpec(c.name, c.description, tops.get(c.name)) for c in shot.characters
        ),
        style=shot.style,
        seed=seed,
        shot_label=shot.label,
    )


def _render_to(path: Path, spec: FrameSpec) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(image_to_png(render_frame(spec)))
    tmp.replace(path)


class SketchProvider(LocalProvider):
    name = "sketch"
    tasks = frozenset({Task.TEXT_TO_IMAGE, Task.REFERENCE_TO_IMAGE, Task.IMAGE_TO_IMAGE})
    max_references = 16
    output_mime = "image/png"

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        tops = {}
        for ref in req.references:
            if ref.role in (RefRole.CHARACTER, RefRole.INIT_IMAGE) and ref.name:
                colour = torso_colour(self.ctx.assets.read(ref.asset, ref.mime))
                if colour is not None:
                    tops[ref.name] = colour
        outputs = []
        for index in range(req.count):
            path = self.scratch_path(f"{self.name}-{job_id}-{index}", ".png")
            await asyncio.to_thread(_render_to, path, frame_spec_for(req, index, tops))
            outputs.append(path)
        return self.local_handle(job_id, outputs)


def register_providers(register: Register) -> None:
    register(SketchProvider)
