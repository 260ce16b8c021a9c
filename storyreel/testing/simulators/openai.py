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
Choices where OpenAI's docs are silent are listed in docs/providers/openai.md. Auth, headers
and errors are shared from ``openai_api``, the Sora endpoints from ``openai_videos``.
"""

from __future__ import annotations

import base64
import secrets
import time
from io import BytesIO
from typing import Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from storyreel.providers.openai import (
    IMAGE_MODELS,
    IMAGE_SIZES,
    MAX_EDIT_IMAGES,
    MAX_IMAGES,
    OUTPUT_MIMES,
    QUALITIES,
)
from storyreel.vocabulary import parse_size

from .base import OutputSpec, SimJob
from .openai_api import BLOCK_MARKER, decode_data_uri, image_dims
from .openai_videos import OpenAIVideos
from .suite import register

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


def _valid_free_size(size: str) -> bool:
    """gpt-image-2's free sizes: multiples of 16, ratio within 3:1, at most 3840x2160."""
    try:
        w, h = parse_size(size)
    except ValueError:
        return False
    return w % 16 == 0 and h % 16 == 0 and max(w, h) / min(w, h) <= 3 and w * h <= 3840 * 2160


@register
class OpenAISimulator(OpenAIVideos):
    name = "openai"

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/images/generations", self.generate, methods=["POST"]),
            Route("/v1/images/edits", self.edit, methods=["POST"]),
            *self.video_routes(),
            Route("/v1/audio/speech", self.create_speech, methods=["POST"]),
            Route("/v1/chat/completions", self.create_chat, methods=["POST"]),
        ]

    async def create_speech(self, request: Request) -> Response:
        from .openai_speech import create_speech

        return await create_speech(self, request)

    async def create_chat(self, request: Request) -> Response:
        from .openai_chat import create_chat

        return await create_chat(self, request)

    # -- images ---------------------------------------------------------------------------

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
            data = decode_data_uri(url) if isinstance(url, str) else None
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
            decoded = decode_data_uri(mask["image_url"])
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
        dims = [image_dims(data) for data in images]
        for index, dim in enumerate(dims):
            if dim is None:
                return self._error(
                    400,
                    f"Invalid image file or mode for image {index + 1}, please check your "
                    "image file. Supported formats are 'png', 'jpeg' and 'webp'.",
                    param="image",
                    code="invalid_image_format",
                )
        if masks and image_dims(masks[0]) != dims[0]:
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
