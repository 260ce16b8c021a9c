"""Seed 001's service, unchanged: ``GET /``, ``POST /generate``, ``POST /generate-video``,
``POST /generate-video/info``, ``GET /health``.

The seed ran a local Stable Diffusion model; here every image is a job on the catalog:
the local model when one is installed (its provider sets ``ApiState.device_report``),
else ``api.image_model`` (the offline ``sketch`` by default), and ``/health`` says which.
Validation follows the seed: steps 10-50, at least 2 scenes, clear 422 messages.
"""

from __future__ import annotations

import asyncio
import base64
import io
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, model_validator

from storyreel.errors import ProviderJobError
from storyreel.media.slideshow import encode_slideshow, total_frames
from storyreel.services.generation import prepare

from ..state import ApiState, api_state

router = APIRouter(tags=["seed 001 service"])
open_router = APIRouter(tags=["seed 001 service"])
State = Annotated[ApiState, Depends(api_state)]
SECONDS_PER_STEP = 0.2
"""The seed's ``estimated_generation_time_seconds``: 0.2 s per step per scene."""


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(min_length=1, max_length=5000)
    num_inference_steps: int = Field(default=25, ge=10, le=50)
    return_base64: bool = False


class VideoRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    hero_description: str | None = Field(default=None, max_length=2000)
    scenes: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        min_length=2, max_length=50, description="At least 2 scenes."
    )
    num_inference_steps: int = Field(default=25, ge=10, le=50)
    duration_per_scene: float = Field(default=3.0, gt=0, le=60)
    fps: int = Field(default=24, ge=1, le=60)
    width: int = Field(default=512, ge=64, le=1024, multiple_of=8)
    height: int = Field(default=512, ge=64, le=1024, multiple_of=8)
    transition_frames: int = Field(default=12, ge=0, le=240)

    @property
    def frames_per_scene(self) -> int:
        return int(self.duration_per_scene * self.fps)

    @model_validator(mode="after")
    def _frames_fit(self) -> VideoRequest:
        if self.frames_per_scene < 1:
            raise ValueError("duration_per_scene x fps must make at least one frame")
        return self

    def prompts(self) -> list[str]:
        """The hero description prepended to each scene, as the seed does."""
        hero = (self.hero_description or "").strip()
        return [f"{hero}, {scene}" if hero else scene for scene in self.scenes]


def _device(state: ApiState) -> dict[str, Any]:
    """What generates here: the local model's report, or the catalog default's."""
    if state.device_report is not None:
        return state.device_report()
    return {
        "device": "cpu",
        "model": state.settings.api.image_model,
        "model_loaded": True,
        "local_model": False,
        "note": "no local model installed: images are generated on "
        f"{state.settings.api.image_model} (storyreel's api.image_model)",
    }


def _model(state: ApiState) -> str:
    report = _device(state)
    return str(report.get("catalog_model") or state.settings.api.image_model)


@open_router.get("/")
async def root(state: State) -> dict[str, Any]:
    device = _device(state)
    return {
        "status": "running",
        "device": device["device"],
        "model": device["model"],
        "endpoints": {
            "generate_image": "/generate",
            "generate_video": "/generate-video",
            "video_info": "/generate-video/info",
        },
    }


@open_router.get("/health")
async def health(state: State) -> dict[str, Any]:
    device = _device(state)
    return {"status": "healthy", **device}


async def _image(
    state: ApiState, prompt: str, steps: int, *, width: int | None = None, height: int | None = None
) -> bytes:
    """One image on the configured model, waited for; PNG bytes."""
    prepared = prepare(
        state.catalog, kind="image", model=_model(state), prompt=prompt, width=width, height=height
    )
    req = prepared.request.model_copy(update={"steps": steps})
    job = await state.wait((await state.submit(req, estimate_usd=prepared.estimate_usd)).id)
    if job.status != "succeeded" or not job.outputs:
        raise ProviderJobError(f"job {job.id} {job.status}: {job.error or 'no output'}")
    output = job.outputs[0]
    data = state.rt.assets.read(output.asset_sha256, output.mime)
    if output.mime == "image/png":
        return data
    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).save(buffer, format="PNG")
    return buffer.getvalue()


@router.post("/generate", response_model=None)
async def generate(body: GenerateRequest, state: State) -> Response | dict[str, Any]:
    """A PNG, or with ``return_base64`` a JSON body carrying it."""
    png = await _image(state, body.prompt, body.num_inference_steps)
    if body.return_base64:
        return {
            "success": True,
            "prompt": body.prompt,
            "steps": body.num_inference_steps,
            "image_base64": base64.b64encode(png).decode(),
            "format": "png",
        }
    return Response(
        png,
        media_type="image/png",
        headers={"Content-Disposition": 'attachment; filename="generated_image.png"'},
    )


def _info(body: VideoRequest) -> dict[str, Any]:
    frames = total_frames(len(body.scenes), body.frames_per_scene, body.transition_frames)
    return {
        "scenes_count": len(body.scenes),
        "frames_per_scene": body.frames_per_scene,
        "transition_frames": body.transition_frames,
        "total_frames": frames,
        "total_duration_seconds": round(frames / body.fps, 3),
        "fps": body.fps,
        "resolution": f"{body.width}x{body.height}",
        "estimated_generation_time_seconds": round(
            len(body.scenes) * body.num_inference_steps * SECONDS_PER_STEP
        ),
    }


@router.post("/generate-video/info")
async def video_info(body: VideoRequest) -> dict[str, Any]:
    """The video's frame arithmetic, without generating anything."""
    return _info(body)


@router.post("/generate-video", response_class=Response)
async def generate_video(body: VideoRequest, state: State) -> Response:
    """One image per scene (the hero description prepended), joined with crossfades."""
    images = await asyncio.gather(
        *(
            _image(state, p, body.num_inference_steps, width=body.width, height=body.height)
            for p in body.prompts()
        )
    )
    info = _info(body)
    scratch = state.rt.scratch_dir
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        out = Path(folder) / "video.mp4"
        await asyncio.to_thread(
            encode_slideshow,
            images,
            out,
            width=body.width,
            height=body.height,
            fps=body.fps,
            frames_per_scene=body.frames_per_scene,
            transition_frames=body.transition_frames,
        )
        data = out.read_bytes()
    return Response(
        data,
        media_type="video/mp4",
        headers={
            "X-Video-Scenes": str(info["scenes_count"]),
            "X-Video-Duration": str(info["total_duration_seconds"]),
            "X-Video-FPS": str(body.fps),
            "Content-Disposition": 'attachment; filename="video.mp4"',
        },
    )
