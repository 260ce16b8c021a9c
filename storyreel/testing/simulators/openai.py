"""OpenAI's image and Sora video endpoints, simulated: Bearer auth, ``x-request-id`` and
``x-ratelimit-*`` headers on every answer, ``{"error": {message, type, param, code}}`` bodies
(400 ``invalid_value`` with ``param: "size"`` for a size the model does not render, 400
``unknown_parameter``, 401 ``invalid_api_key``, 429 ``rate_limit_exceeded`` or
``insufficient_quota``), synchronous image generation returning ``b64_json`` plus ``usage``,
edits taking multipart ``image[]`` (1-16, and ``mask``) or JSON ``images[]``, and Sora jobs
going queued -> in_progress (``progress`` rising) -> completed, their MP4 at ``/content``.

Switches for tests: a prompt containing ``BLOCKME`` is refused by the "safety system"
(images: 400 ``moderation_blocked``; videos: the job fails with that code);
``quota_exhausted = True`` answers every create with 429 ``insufficient_quota``.
Choices where OpenAI's docs are silent are listed in docs/providers/openai.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from io import BytesIO
from typing import Any

from PIL import Image, UnidentifiedImageError
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storyreel.providers.openai import (
    IMAGE_MODELS,
    IMAGE_SIZES,
    MAX_EDIT_IMAGES,
    MAX_IMAGES,
    OUTPUT_MIMES,
    QUALITIES,
    VIDEO_MODELS,
    VIDEO_SECONDS,
)
from storyreel.vocabulary import parse_size

from .base import FileStore, OutputSpec, SimConfig, SimJob, Simulator
from .forms import FormPart, parse_form
from .suite import register

BLOCK_MARKER = "BLOCKME"
RATE_LIMIT_REQUESTS = 500
#: Output image tokens per image (providers-others.md C.5), by size and quality.
OUTPUT_TOKENS = {
    "1024x1024": {"low": 272, "medium": 1056, "high": 4160},
    "1024x1536": {"low": 408, "medium": 1584, "high": 6240},
    "1536x1024": {"low": 400, "medium": 1568, "high": 6208},
}
IMAGE_TOKENS_PER_INPUT = 194  # a guess: what one 512x512 input tile costs in our fake usage
GENERATE_KEYS = frozenset(
    {
        "model",
        "prompt",
        "n",
        "size",
        "quality",
        "background",
        "output_format",
        "output_compression",
        "moderation",
        "response_format",
        "stream",
        "partial_images",
        "user",
    }
)
EDIT_KEYS = (GENERATE_KEYS - {"moderation"}) | {"image", "images", "mask", "input_fidelity"}
VIDEO_KEYS = frozenset({"model", "prompt", "seconds", "size", "input_reference"})


def _decode_data_uri(uri: str) -> bytes | None:
    head, sep, payload = uri.partition(",")
    if not sep or not head.startswith("data:") or not head.endswith(";base64"):
        return None
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def _image_dims(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(BytesIO(data)) as img:
            if img.format not in ("PNG", "JPEG", "WEBP"):
                return None
            return img.size
    except (UnidentifiedImageError, OSError):
        return None


def _valid_free_size(size: str) -> bool:
    """gpt-image-2's free sizes: multiples of 16, ratio within 3:1, at most 3840x2160."""
    try:
        w, h = parse_size(size)
    except ValueError:
        return False
    return w % 16 == 0 and h % 16 == 0 and max(w, h) / min(w, h) <= 3 and w * h <= 3840 * 2160


@register
class OpenAISimulator(Simulator):
    name = "openai"

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.quota_exhausted = False
        self.deleted: set[str] = set()
        self._used = 0

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/images/generations", self.generate, methods=["POST"]),
            Route("/v1/images/edits", self.edit, methods=["POST"]),
            Route("/v1/videos", self.create_video, methods=["POST"]),
            Route("/v1/videos", self.list_videos, methods=["GET"]),
            Route("/v1/videos/{video_id}/content", self.video_content, methods=["GET"]),
            Route("/v1/videos/{video_id}", self.get_video, methods=["GET"]),
            Route("/v1/videos/{video_id}", self.delete_video, methods=["DELETE"]),
            Route("/v1/audio/speech", self.create_speech, methods=["POST"]),
            Route("/v1/chat/completions", self.create_chat, methods=["POST"]),
        ]

    async def create_speech(self, request: Request) -> Response:
        from .openai_speech import create_speech

        return await create_speech(self, request)

    async def create_chat(self, request: Request) -> Response:
        from .openai_chat import create_chat

        return await create_chat(self, request)

    # -- shared gatekeeping --------------------------------------------------------------

    def headers(self, *, limited: bool = False) -> dict[str, str]:
        remaining = 0 if limited else max(0, RATE_LIMIT_REQUESTS - 1 - self._used)
        return {
            "x-request-id": f"req_{secrets.token_hex(16)}",
            "openai-processing-ms": "12",
            "x-ratelimit-limit-requests": str(RATE_LIMIT_REQUESTS),
            "x-ratelimit-remaining-requests": str(remaining),
            "x-ratelimit-reset-requests": "20ms" if limited else "120ms",
            "x-ratelimit-limit-tokens": "1000000",
            "x-ratelimit-remaining-tokens": "0" if limited else "999000",
            "x-ratelimit-reset-tokens": "20ms" if limited else "6m0s",
        }

    def _error(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        limited: bool = False,
    ) -> JSONResponse:
        body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
        return JSONResponse(body, status_code=status, headers=self.headers(limited=limited))

    def _invalid(self, param: str, value: Any, allowed: list[str]) -> JSONResponse:
        listed = ", ".join(f"'{a}'" for a in allowed)
        return self._error(
            400,
            f"Invalid value: '{value}'. Supported values are: {listed}.",
            param=param,
            code="invalid_value",
        )

    def _json(self, data: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(data, status_code=status, headers=self.headers())

    def _auth_error(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return self._error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        key = header.removeprefix("Bearer ")
        if key != self.config.api_key:
            return self._error(
                401,
                f"Incorrect API key provided: {key[:3]}***{key[-4:]}. You can find your API "
                "key at https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        return None

    def _create_gate(self, model: str) -> Response | None:
        """Rate limit and quota, checked on every create call after auth."""
        if self.take_429():
            return self._error(
                429,
                f"Rate limit reached for {model} in organization org-sim on requests per min "
                f"(RPM): Limit {RATE_LIMIT_REQUESTS}, Used {RATE_LIMIT_REQUESTS}, Requested 1. "
                "Please try again in 20ms.",
                error_type="requests",
                code="rate_limit_exceeded",
                limited=True,
            )
        if self.quota_exhausted:
            return self._error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                error_type="insufficient_quota",
                code="insufficient_quota",
                limited=True,
            )
        self._used += 1
        return None

    async def _accept(self, request: Request) -> tuple[dict[str, Any], list[FormPart]] | Response:
        """Record, authenticate, rate-limit, then parse: a JSON object, or the fields and
        files of a multipart form."""
        raw = await self.record(request)
        if (denied := self._auth_error(request)) is not None:
            return denied
        content_type = request.headers.get("content-type", "")
        parts = parse_form(content_type, raw)
        if parts is not None:
            fields = {p.name: p.data.decode("utf-8", "replace") for p in parts if not p.filename}
            body: Any = fields
            files = [p for p in parts if p.filename]
        else:
            files = []
            try:
                body = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                return self._error(
                    400,
                    "We could not parse the JSON body of your request. (HINT: This likely "
                    "means you aren't using your HTTP library correctly.)",
                )
            if not isinstance(body, dict):
                return self._error(400, "The request body must be a JSON object.")
        if (limited := self._create_gate(str(body.get("model") or "the model"))) is not None:
            return limited
        return body, files

    # -- images ---------------------------------------------------------------------------

    def _refuse_params(self, body: dict[str, Any], allowed: frozenset[str]) -> Response | None:
        """OpenAI's 400 for an unknown parameter or a missing prompt; None when fine."""
        unknown = sorted(set(body) - allowed)
        if unknown:
            return self._error(
                400,
                f"Unknown parameter: '{unknown[0]}'.",
                param=unknown[0],
                code="unknown_parameter",
            )
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            return self._error(
                400,
                "Missing required parameter: 'prompt'.",
                param="prompt",
                code="missing_required_parameter",
            )
        return None

    def _image_params(
        self, body: dict[str, Any], *, allowed: frozenset[str], default_model: str
    ) -> dict[str, Any] | Response:
        if (refused := self._refuse_params(body, allowed)) is not None:
            return refused
        prompt = str(body["prompt"])
        model = str(body.get("model") or default_model)
        if model not in IMAGE_MODELS:
            return self._invalid("model", model, sorted(IMAGE_MODELS))
        size = str(body.get("size", "auto"))
        free = model.startswith("gpt-image-2") and _valid_free_size(size)
        if size not in (*IMAGE_SIZES, "auto") and not free:
            return self._invalid("size", size, ["1024x1024", "1024x1536", "1536x1024", "auto"])
        quality = str(body.get("quality", "auto"))
        if quality not in QUALITIES:
            return self._invalid("quality", quality, list(QUALITIES))
        fmt = str(body.get("output_format", "png"))
        if fmt not in OUTPUT_MIMES:
            return self._invalid("output_format", fmt, list(OUTPUT_MIMES))
        background = str(body.get("background", "auto"))
        if background not in ("transparent", "opaque", "auto"):
            return self._invalid("background", background, ["transparent", "opaque", "auto"])
        if background == "transparent" and fmt == "jpeg":
            return self._error(
                400,
                "Transparent background requires output_format png or webp.",
                param="background",
                code="invalid_value",
            )
        if body.get("response_format") not in (None, "b64_json"):
            return self._error(
                400,
                f"Unknown parameter: 'response_format'. {model} always returns b64_json.",
                param="response_format",
                code="unknown_parameter",
            )
        if str(body.get("stream", "false")).lower() == "true":
            return self._error(400, "The simulator does not stream images.", param="stream")
        try:
            n = int(body.get("n", 1))
        except (TypeError, ValueError):
            return self._error(400, "Invalid type for 'n': expected an integer.", param="n")
        if not 1 <= n <= MAX_IMAGES:
            return self._error(
                400,
                f"Invalid 'n': integer must be between 1 and {MAX_IMAGES}, got {n}.",
                param="n",
                code="integer_out_of_range",
            )
        fidelity = body.get("input_fidelity")
        if fidelity is not None and (fidelity not in ("high", "low") or model.endswith("mini")):
            return self._error(
                400,
                f"input_fidelity '{fidelity}' is not supported for {model}.",
                param="input_fidelity",
                code="invalid_value",
            )
        return {
            "model": model,
            "prompt": prompt,
            "n": n,
            "size": "1024x1024" if size == "auto" else size,
            "quality": "medium" if quality == "auto" else quality,
            "output_format": fmt,
            "background": "opaque" if background == "auto" else background,
        }

    async def generate(self, request: Request) -> Response:
        parsed = await self._accept(request)
        if isinstance(parsed, Response):
            return parsed
        body, _ = parsed
        params = self._image_params(body, allowed=GENERATE_KEYS, default_model="dall-e-2")
        if isinstance(params, Response):
            return params
        return await self._render_images(params, inputs=0)

    async def edit(self, request: Request) -> Response:
        parsed = await self._accept(request)
        if isinstance(parsed, Response):
            return parsed
        body, files = parsed
        images = [f.data for f in files if f.name in ("image", "image[]")]
        masks = [f.data for f in files if f.name == "mask"]
        for item in body.get("images") or []:  # the JSON form
            url = item.get("image_url") if isinstance(item, dict) else None
            data = _decode_data_uri(url) if isinstance(url, str) else None
            if data is None:
                return self._error(
                    400,
                    "Each entry of 'images' needs an image_url holding a base64 data URL "
                    "(the simulator cannot fetch remote URLs or file ids).",
                    param="images",
                    code="invalid_image_url",
                )
            images.append(data)
        mask = body.get("mask")
        if isinstance(mask, dict) and isinstance(mask.get("image_url"), str):
            decoded = _decode_data_uri(mask["image_url"])
            masks.append(decoded or b"")
        fields = {k: v for k, v in body.items() if k not in ("images", "mask")}
        params = self._image_params(fields, allowed=EDIT_KEYS, default_model="gpt-image-1.5")
        if isinstance(params, Response):
            return params
        if not 1 <= len(images) <= MAX_EDIT_IMAGES:
            return self._error(
                400,
                f"Provide between 1 and {MAX_EDIT_IMAGES} images, got {len(images)}.",
                param="image",
                code="invalid_image_count" if images else "missing_required_parameter",
            )
        dims = [_image_dims(data) for data in images]
        for index, dim in enumerate(dims):
            if dim is None:
                return self._error(
                    400,
                    f"Invalid image file or mode for image {index + 1}, please check your "
                    "image file. Supported formats are 'png', 'jpeg' and 'webp'.",
                    param="image",
                    code="invalid_image_format",
                )
        if masks and _image_dims(masks[0]) != dims[0]:
            return self._error(
                400,
                "Invalid mask image format - mask size does not match image size",
                param="mask",
                code="invalid_image_format",
            )
        params["images"] = len(images)
        params["mask"] = bool(masks)
        return await self._render_images(params, inputs=len(images))

    async def _render_images(self, params: dict[str, Any], *, inputs: int) -> Response:
        if BLOCK_MARKER in params["prompt"]:
            return self._error(
                400,
                "Your request was rejected as a result of our safety system. Your request may "
                "contain content that is not allowed by our safety system.",
                error_type="image_generation_user_error",
                code="moderation_blocked",
            )
        job = self.start_job(
            params["model"], "image", params, job_id=f"img_{secrets.token_hex(12)}"
        )
        await self.finish_now(job)
        if job.state != "succeeded":
            return self._error(
                500,
                "The server had an error while processing your request. Sorry about that!",
                error_type="server_error",
            )
        data = [
            {"b64_json": base64.b64encode(self._encoded(url, params)).decode()}
            for url in job.outputs
        ]
        out_tokens = OUTPUT_TOKENS.get(params["size"], OUTPUT_TOKENS["1024x1024"])
        text_tokens = max(1, len(params["prompt"].split()) * 4 // 3)
        image_tokens = inputs * IMAGE_TOKENS_PER_INPUT
        output = int(self.usage.get("output_tokens", out_tokens[params["quality"]] * params["n"]))
        return self._json(
            {
                "created": int(time.time()),
                "background": params["background"],
                "output_format": params["output_format"],
                "quality": params["quality"],
                "size": params["size"],
                "data": data,
                "usage": {
                    "input_tokens": text_tokens + image_tokens,
                    "input_tokens_details": {
                        "text_tokens": text_tokens,
                        "image_tokens": image_tokens,
                    },
                    "output_tokens": output,
                    "output_tokens_details": {"image_tokens": output, "text_tokens": 0},
                    "total_tokens": text_tokens + image_tokens + output,
                },
            }
        )

    def _encoded(self, url: str, params: dict[str, Any]) -> bytes:
        path = self.files.get(url.rsplit("/", 1)[-1])
        assert path is not None, "a just-rendered output cannot have expired"
        data = path.read_bytes()
        fmt = params["output_format"]
        if fmt == "png":
            return data
        out = BytesIO()
        with Image.open(BytesIO(data)) as img:
            img.convert("RGB").save(out, format="JPEG" if fmt == "jpeg" else "WEBP")
        return out.getvalue()

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
            reference = _decode_data_uri(url) if isinstance(url, str) else None
            if reference is None:
                return self._error(
                    400,
                    "input_reference needs an image_url holding a base64 data URL here.",
                    param="input_reference",
                    code="invalid_value",
                )
        if reference is not None:
            dims = _image_dims(reference)
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

    def output_spec(self, job: SimJob) -> OutputSpec:
        width, height = parse_size(str(job.body.get("size", "1024x1024")))
        if job.kind == "video":
            seconds = float(job.body.get("seconds", "4"))
            return OutputSpec(
                prompt=str(job.body["prompt"]),
                width=width,
                height=height,
                duration=min(seconds, 2.0),
            )
        return OutputSpec(
            prompt=str(job.body["prompt"]),
            count=int(job.body.get("n", 1)),
            width=width,
            height=height,
        )
