"""Veo on the simulated Gemini API: ``:predictLongRunning`` (validated as in D.4: the
Vertex-only ``seed``/``generateAudio``/``fps`` refused), operations polled at
``GET /v1beta/models/{model}/operations/{id}`` until ``done``, and the video served at
``/v1beta/files/{id}:download?alt=media`` to callers with the key. A prompt with
``BLOCKME`` filters every sample (``raiMediaFilteredCount``); ``fail_code`` is a failed
operation's gRPC code.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storyreel.providers.gemini import (
    LONG_ONLY_RESOLUTIONS,
    MAX_SAMPLES,
    MAX_VIDEO_REFERENCES,
    VIDEO_ASPECTS,
    VIDEO_REJECTED,
    VIDEO_RESOLUTIONS,
    VIDEO_SECONDS,
)

from .base import FileStore, SimConfig, SimJob
from .gemini_api import BLOCK_MARKER, GeminiApi, google_error, image_bytes, invalid

VIDEO_SIZES = {
    ("16:9", "720p"): (1280, 720),
    ("9:16", "720p"): (720, 1280),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "1080p"): (1080, 1920),
    ("16:9", "4k"): (3840, 2160),
    ("9:16", "4k"): (2160, 3840),
}
INSTANCE_KEYS = frozenset({"prompt", "image", "lastFrame", "referenceImages", "video"})
PARAMETER_KEYS = frozenset(
    {
        "aspectRatio",
        "durationSeconds",
        "resolution",
        "negativePrompt",
        "sampleCount",
        "personGeneration",
        "enhancePrompt",
    }
)
RAI_REASON = (
    "Your current safety settings for person generation or the prompt's content caused the "
    "video to be filtered."
)


class GeminiVeo(GeminiApi):
    """The Veo endpoints; image generation is added by ``GeminiSimulator``."""

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.file_ids: dict[str, str] = {}

    def veo_routes(self) -> list[BaseRoute]:
        return [
            Route("/v1beta/models/{model}/operations/{op_id}", self.get_operation),
            Route("/v1beta/files/{target}", self.download),
        ]

    # -- Veo ------------------------------------------------------------------------------

    def _video_request(self, body: dict[str, Any]) -> dict[str, Any] | Response:
        instances = body.get("instances")
        if not isinstance(instances, list) or len(instances) != 1:
            return invalid("instances must hold exactly one instance.", "instances")
        instance = instances[0] if isinstance(instances[0], dict) else {}
        parameters = body.get("parameters") or {}
        for key in sorted(set(parameters)):
            if key in VIDEO_REJECTED:
                return invalid(f"`{key}` isn't supported by the Gemini API.", f"parameters.{key}")
            if key not in PARAMETER_KEYS:
                return invalid(
                    f"Invalid JSON payload received. Unknown name \"{key}\" at 'parameters'.",
                    f"parameters.{key}",
                )
        unknown = sorted(set(instance) - INSTANCE_KEYS)
        if unknown:
            return invalid(
                f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at 'instances[0]'.",
                f"instances[0].{unknown[0]}",
            )
        if not instance.get("prompt") and "image" not in instance:
            return invalid("A prompt or an image is required.", "instances[0].prompt")
        for key in ("image", "lastFrame"):
            if key in instance:
                blob = image_bytes(
                    instance[key],
                    f"instances[0].{key}",
                    data_key="bytesBase64Encoded",
                    mime_key="mimeType",
                )
                if isinstance(blob, Response):
                    return blob
        if "lastFrame" in instance and "image" not in instance:
            return invalid("lastFrame requires image.", "instances[0].last_frame")
        references = instance.get("referenceImages") or []
        if len(references) > MAX_VIDEO_REFERENCES:
            return invalid(
                f"At most {MAX_VIDEO_REFERENCES} reference images are supported.",
                "instances[0].reference_images",
            )
        aspect = parameters.get("aspectRatio", "16:9")
        if aspect not in VIDEO_ASPECTS:
            return invalid(f"Unsupported aspect ratio: {aspect}.", "parameters.aspect_ratio")
        seconds = parameters.get("durationSeconds", 8)
        if seconds not in VIDEO_SECONDS:
            return invalid(
                f"Unsupported duration {seconds}; supported: 4, 6, 8.",
                "parameters.duration_seconds",
            )
        resolution = parameters.get("resolution", "720p")
        if resolution not in VIDEO_RESOLUTIONS:
            return invalid(f"Unsupported resolution: {resolution}.", "parameters.resolution")
        if resolution in LONG_ONLY_RESOLUTIONS and seconds != 8:
            return invalid(
                f"{resolution} is only supported with an 8 second duration.",
                "parameters.duration_seconds",
            )
        samples = parameters.get("sampleCount", 1)
        if not isinstance(samples, int) or not 1 <= samples <= MAX_SAMPLES:
            return invalid(
                f"sampleCount must be from 1 to {MAX_SAMPLES}.", "parameters.sample_count"
            )
        width, height = VIDEO_SIZES[(aspect, resolution)]
        return {
            "prompt": str(instance.get("prompt", "")),
            "width": width,
            "height": height,
            "seconds": seconds,
            "samples": samples,
        }

    def predict_long_running(self, model: str, body: dict[str, Any]) -> Response:
        params = self._video_request(body)
        if isinstance(params, Response):
            return params
        job = self.start_job(model, "video", params)
        return JSONResponse({"name": f"models/{model}/operations/{job.id}"})

    async def get_operation(self, request: Request) -> Response:
        await self.record(request)
        if (denied := self._auth_error(request)) is not None:
            return denied
        model, op_id = request.path_params["model"], request.path_params["op_id"]
        job = self.jobs.get(op_id)
        name = f"models/{model}/operations/{op_id}"
        if job is None or job.model != model or job.kind != "video":
            return google_error(404, "NOT_FOUND", f"Operation {name} not found.")
        operation: dict[str, Any] = {"name": name}
        if not job.done:
            return JSONResponse(operation)  # proto3 JSON leaves out ``done: false``
        operation["done"] = True
        if job.state != "succeeded":
            code = int(self.fail_code_of(job, "13"))
            operation["error"] = {"code": code, "message": job.error or "Video generation failed."}
            return JSONResponse(operation)
        response: dict[str, Any]
        if BLOCK_MARKER in job.body["prompt"]:
            response = {
                "raiMediaFilteredCount": job.body["samples"],
                "raiMediaFilteredReasons": [RAI_REASON],
            }
        else:
            samples = [
                {"video": {"uri": self._file_uri(job, index, url)}}
                for index, url in enumerate(job.outputs)
            ]
            response = {"generatedSamples": samples}
        operation["response"] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
            "PredictLongRunningResponse",
            "generateVideoResponse": response,
        }
        return JSONResponse(operation)

    def _file_uri(self, job: SimJob, index: int, url: str) -> str:
        file_id = f"{job.id}{index}"
        self.file_ids[file_id] = url.rsplit("/", 1)[-1]
        return f"{self.mount_url()}/v1beta/files/{file_id}:download?alt=media"

    async def download(self, request: Request) -> Response:
        await self.record(request)
        if (denied := self._auth_error(request)) is not None:
            return denied
        file_id, _, method = request.path_params["target"].partition(":")
        name = self.file_ids.get(file_id)
        path = self.files.get(name) if name and method == "download" else None
        if path is None:
            return google_error(404, "NOT_FOUND", f"File files/{file_id} not found or expired.")
        return FileResponse(path, media_type="video/mp4")
