"""Sora on the simulated OpenAI API: ``POST /v1/videos`` (JSON or multipart with an
``input_reference`` that must match the video's size), jobs going queued -> in_progress
(``progress`` rising) -> completed, get, list, delete, and the MP4 at ``/content``; a
prompt containing ``BLOCKME`` fails the job with ``moderation_blocked``.
"""

from __future__ import annotations

import secrets
import time
from io import BytesIO
from typing import Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from storyreel.providers.openai import VIDEO_MODELS, VIDEO_SECONDS
from storyreel.vocabulary import parse_size

from .base import FileStore, SimConfig, SimJob
from .openai_api import BLOCK_MARKER, OpenAIApi, decode_data_uri, image_dims

VIDEO_KEYS = frozenset({"model", "prompt", "seconds", "size", "input_reference"})


class OpenAIVideos(OpenAIApi):
    """The Sora endpoints; the images and speech are added by ``OpenAISimulator``."""

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.deleted: set[str] = set()

    def video_routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/videos", self.create_video, methods=["POST"]),
            Route("/v1/videos", self.list_videos, methods=["GET"]),
            Route("/v1/videos/{video_id}/content", self.video_content, methods=["GET"]),
            Route("/v1/videos/{video_id}", self.get_video, methods=["GET"]),
            Route("/v1/videos/{video_id}", self.delete_video, methods=["DELETE"]),
        ]

    # -- videos ---------------------------------------------------------------------------

    async def create_video(self, request: Request) -> Response:
        parsed = await self._accept(request)
        if isinstance(parsed, Response):
            return parsed
        body, files = parsed
        reference: bytes | None = None
        for part in files:
            if part.name == "input_reference":
                reference = part.data
        if "input_reference[image_url]" in body:  # a reference object sent as form fields
            body["input_reference"] = {"image_url": body.pop("input_reference[image_url]")}
        if (refused := self._refuse_params(body, VIDEO_KEYS)) is not None:
            return refused
        prompt = str(body["prompt"])
        model = str(body.get("model") or "sora-2")
        if model not in VIDEO_MODELS:
            return self._invalid("model", model, list(VIDEO_MODELS))
        seconds = body.get("seconds", "4")
        if not isinstance(seconds, str):
            return self._error(
                400,
                "Invalid type for 'seconds': expected one of '4', '8', or '12', but got "
                f"{type(seconds).__name__} instead.",
                param="seconds",
                code="invalid_type",
            )
        if seconds not in VIDEO_SECONDS:
            return self._invalid("seconds", seconds, list(VIDEO_SECONDS))
        size = str(body.get("size", "720x1280"))
        if size not in VIDEO_MODELS[model]:
            return self._invalid("size", size, list(VIDEO_MODELS[model]))
        ref_object = body.get("input_reference")
        if isinstance(ref_object, dict):
            url = ref_object.get("image_url")
            reference = decode_data_uri(url) if isinstance(url, str) else None
            if reference is None:
                return self._error(
                    400,
                    "input_reference needs an image_url holding a base64 data URL here.",
                    param="input_reference",
                    code="invalid_value",
                )
        if reference is not None:
            dims = image_dims(reference)
            if dims is None:
                return self._error(
                    400,
                    "Invalid file format for input_reference. Supported: image/png, "
                    "image/jpeg, image/webp.",
                    param="input_reference",
                    code="invalid_image_format",
                )
            if dims != parse_size(size):
                return self._error(
                    400,
                    "Inpaint image must match the requested width and height",
                    param="input_reference",
                    code="invalid_value",
                )
        params = {"model": model, "prompt": prompt, "seconds": seconds, "size": size}
        job = self.start_job(model, "video", params, job_id=f"video_{secrets.token_hex(16)}")
        if BLOCK_MARKER in prompt:
            job.will_fail = True
            job.extra["error"] = {
                "code": "moderation_blocked",
                "message": "Your request was blocked by our moderation system.",
            }
        return self._json(self.video_resource(job))

    def video_resource(self, job: SimJob) -> dict[str, Any]:
        status, progress, error = "queued", 0, None
        completed_at = expires_at = None
        if job.state == "running" and job.started is not None:
            elapsed = (time.time() - job.started) / max(job.latency * 0.9, 0.001)
            status, progress = "in_progress", max(1, min(99, int(elapsed * 100)))
        elif job.state == "succeeded":
            status, progress = "completed", 100
            completed_at = int(job.finished or time.time())
            expires_at = int(completed_at + self.config.output_ttl)
        elif job.state == "failed":
            status, progress = "failed", 100
            error = job.extra.get("error") or {
                "code": self.fail_code_of(job, "video_generation_failed"),
                "message": job.error or "Video generation failed.",
            }
        return {
            "id": job.id,
            "object": "video",
            "model": job.model,
            "status": status,
            "progress": progress,
            "created_at": int(job.created),
            "completed_at": completed_at,
            "expires_at": expires_at,
            "prompt": job.body["prompt"],
            "size": job.body["size"],
            # What was rendered; ``usage["seconds"]`` makes it differ from what was asked.
            "seconds": str(self.usage.get("seconds", job.body["seconds"])),
            "remixed_from_video_id": None,
            "error": error,
        }

    def _video_job(self, request: Request) -> SimJob | Response:
        video_id = request.path_params["video_id"]
        job = self.jobs.get(video_id)
        if job is None or job.kind != "video" or video_id in self.deleted:
            return self._error(
                404,
                f"Video with id '{video_id}' not found.",
                param="video_id",
                code="video_not_found",
            )
        return job

    async def get_video(self, request: Request) -> Response:
        await self.record(request)
        if (denied := self._auth_error(request)) is not None:
            return denied
        job = self._video_job(request)
        return job if isinstance(job, Response) else self._json(self.video_resource(job))

    async def list_videos(self, request: Request) -> Response:
        await self.record(request)
        if (denied := self._auth_error(request)) is not None:
            return denied
        query = request.query_params  # limit (default 20, 1-100), order, after: as the API
        limit = max(1, min(100, int(query.get("limit", "20"))))
        jobs = [j for j in self.jobs.values() if j.kind == "video" and j.id not in self.deleted]
        jobs.sort(key=lambda j: j.created, reverse=query.get("order", "desc") != "asc")
        ids = [j.id for j in jobs]
        after = query.get("after")
        begin = ids.index(after) + 1 if after in ids else 0
        videos = [self.video_resource(j) for j in jobs[begin : begin + limit]]
        return self._json(
            {
                "object": "list",
                "data": videos,
                "first_id": videos[0]["id"] if videos else None,
                "last_id": videos[-1]["id"] if videos else None,
                "has_more": begin + limit < len(jobs),
            }
        )

    async def delete_video(self, request: Request) -> Response:
        await self.record(request)
        if (denied := self._auth_error(request)) is not None:
            return denied
        job = self._video_job(request)
        if isinstance(job, Response):
            return job
        self.cancel(job)
        self.deleted.add(job.id)
        return self._json({"id": job.id, "object": "video.deleted", "deleted": True})

    async def video_content(self, request: Request) -> Response:
        await self.record(request)
        if (denied := self._auth_error(request)) is not None:
            return denied
        job = self._video_job(request)
        if isinstance(job, Response):
            return job
        variant = request.query_params.get("variant", "video")
        if variant not in ("video", "thumbnail", "spritesheet"):
            return self._invalid("variant", variant, ["video", "thumbnail", "spritesheet"])
        if job.state != "succeeded":
            return self._error(
                404,
                f"Video '{job.id}' is {self.video_resource(job)['status']}; its content is "
                "available once it is completed.",
                code="video_not_ready",
            )
        path = self.files.get(job.outputs[0].rsplit("/", 1)[-1])
        if path is None:
            return self._error(404, f"The content of video '{job.id}' has expired.", code="expired")
        if variant == "video":
            return FileResponse(path, media_type="video/mp4", headers=self.headers())
        out = BytesIO()
        with Image.open(path.with_suffix(".png")) as still:
            if variant == "thumbnail":
                still.convert("RGB").save(out, format="WEBP")
            else:
                still.convert("RGB").save(out, format="JPEG")
        media = "image/webp" if variant == "thumbnail" else "image/jpeg"
        return Response(out.getvalue(), media_type=media, headers=self.headers())
