"""Google's Gemini API, simulated: ``x-goog-api-key`` (or ``?key=``) auth, Google's error
bodies (``{"error": {"code", "message", "status", "details"}}``: 400 ``INVALID_ARGUMENT``
with ``API_KEY_INVALID``, 403 ``PERMISSION_DENIED`` without a key, 404 ``NOT_FOUND`` for an
unknown model, 429 ``RESOURCE_EXHAUSTED`` with a ``RetryInfo``), synchronous
``:generateContent`` image answers (a text part, a thought image for Gemini 3 models, then
the final ``inlineData`` PNG), and Veo ``:predictLongRunning`` operations polled at
``GET /v1beta/models/{model}/operations/{id}`` until ``done``, their video served at
``/v1beta/files/{id}:download?alt=media`` to callers with the key.

Field names are accepted in either proto3 JSON spelling (``inline_data`` or ``inlineData``).
Validation follows D.4: ``imageConfig`` takes only ``aspectRatio`` and ``imageSize``; at most
14 ``inlineData`` parts; Veo refuses the Vertex-only ``seed``/``generateAudio``/``fps``.

Switches in the prompt, for tests and SDK checks: ``BLOCKME`` -> ``finishReason:
IMAGE_SAFETY`` with no image (a Veo job: every sample filtered, ``raiMediaFilteredCount``);
``PROMPTBLOCK`` -> ``promptFeedback.blockReason: PROHIBITED_CONTENT`` and no candidates;
``NOIMAGE`` -> ``finishReason: NO_IMAGE`` with only a text part; ``FINISH=<REASON>`` ->
that finishReason (``RECITATION``, ``OTHER``, ...) with no image. ``usage`` overrides
``candidatesTokenCount``/``thoughtsTokenCount``; ``fail_code`` is a failed Veo operation's
gRPC code (default 13, INTERNAL).

Auth, errors and proto3 JSON reading are shared from ``gemini_api``; Veo lives in
``gemini_veo``.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from io import BytesIO
from typing import Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storyreel.providers.gemini import (
    ASPECT_RATIOS,
    IMAGE_CONFIG_KEYS,
    IMAGE_MODELS,
    MAX_IMAGE_REFERENCES,
    VIDEO_MODELS,
)
from storyreel.providers.gemini_chat import TEXT_MODELS

from .base import OutputSpec, SimJob
from .gemini_api import BLOCK_MARKER, camel, google_error, image_bytes, invalid
from .gemini_text import generate_text
from .gemini_veo import GeminiVeo
from .suite import register

PROMPT_BLOCK_MARKER = "PROMPTBLOCK"
NO_IMAGE_MARKER = "NOIMAGE"
FINISH_MARKER = re.compile(r"FINISH=([A-Z_]+)")
#: Pixel sizes at 1K per aspect ratio (2K doubles them, 4K quadruples them).
BASE_SIZES = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
}
SIZE_FACTOR = {"1K": 1, "2K": 2, "4K": 4}


def _tiny_png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (64, 64), (200, 200, 200)).save(out, format="PNG")
    return out.getvalue()


@register
class GeminiSimulator(GeminiVeo):
    name = "gemini"

    def routes(self) -> list[BaseRoute]:
        return [
            *self.veo_routes(),
            Route("/v1beta/models/{target}", self.model_method, methods=["POST"]),
        ]

    async def model_method(self, request: Request) -> Response:
        raw = await self.record(request)
        if (denied := self._auth_error(request)) is not None:
            return denied
        model, _, method = request.path_params["target"].partition(":")
        known = {*IMAGE_MODELS, *TEXT_MODELS} if method == "generateContent" else VIDEO_MODELS
        if method not in ("generateContent", "predictLongRunning") or model not in known:
            return google_error(
                404,
                "NOT_FOUND",
                f"models/{model} is not found for API version v1beta, or is not supported "
                f"for {method or 'this method'}. Call ListModels to see the list of available "
                "models and their supported methods.",
            )
        if (limited := self._rate_limited()) is not None:
            return limited
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return invalid("Invalid JSON payload received. Unexpected token.")
        if not isinstance(body, dict):
            return invalid("Invalid JSON payload received. Expected an object.")
        body = camel(body)
        if method == "generateContent" and model in TEXT_MODELS:
            return await generate_text(self, model, body)
        if method == "generateContent":
            return await self.generate_content(model, body)
        return self.predict_long_running(model, body)

    # -- images ---------------------------------------------------------------------------

    def _image_request(self, model: str, body: dict[str, Any]) -> dict[str, Any] | Response:
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            return invalid("* GenerateContentRequest.contents: contents is not specified")
        texts: list[str] = []
        images = 0
        for c_index, content in enumerate(contents):
            for p_index, part in enumerate((content or {}).get("parts") or []):
                field = f"contents[{c_index}].parts[{p_index}]"
                if "text" in part:
                    texts.append(str(part["text"]))
                elif "inlineData" in part:
                    blob = image_bytes(
                        part["inlineData"],
                        f"{field}.inline_data",
                        data_key="data",
                        mime_key="mimeType",
                    )
                    if isinstance(blob, Response):
                        return blob
                    images += 1
                else:
                    return invalid(f"Invalid JSON payload received. Unknown part at '{field}'.")
        if images > MAX_IMAGE_REFERENCES:
            return invalid(
                f"Too many input images: {images}; {model} accepts at most {MAX_IMAGE_REFERENCES}.",
                "contents",
            )
        config = body.get("generationConfig") or {}
        modalities = config.get("responseModalities") or ["TEXT"]
        if "IMAGE" not in modalities:
            return invalid(
                "The simulator only renders images: responseModalities must include IMAGE.",
                "generation_config.response_modalities",
            )
        image_config = config.get("imageConfig") or {}
        for key in image_config:
            if key not in IMAGE_CONFIG_KEYS:
                return invalid(
                    f'Invalid JSON payload received. Unknown name "{key}" at '
                    "'generation_config.image_config': Cannot find field.",
                    f"generation_config.image_config.{key}",
                )
        aspect = image_config.get("aspectRatio", "1:1")
        if aspect not in ASPECT_RATIOS:
            return invalid(
                f"Unsupported aspect ratio: {aspect}. Supported: {', '.join(ASPECT_RATIOS)}.",
                "generation_config.image_config.aspect_ratio",
            )
        size = image_config.get("imageSize", "1K")
        if size not in IMAGE_MODELS[model]:
            return invalid(
                f"Unsupported image size {size!r} for {model}; supported: "
                f"{', '.join(IMAGE_MODELS[model])}.",
                "generation_config.image_config.image_size",
            )
        width, height = BASE_SIZES[aspect]
        factor = SIZE_FACTOR[size]
        return {
            "prompt": " ".join(texts),
            "width": width * factor,
            "height": height * factor,
            "inputs": images,
        }

    async def generate_content(self, model: str, body: dict[str, Any]) -> Response:
        params = self._image_request(model, body)
        if isinstance(params, Response):
            return params
        prompt = params["prompt"]
        usage = {
            "promptTokenCount": 12 + 258 * params["inputs"],
            "totalTokenCount": 12 + 258 * params["inputs"],
        }
        if PROMPT_BLOCK_MARKER in prompt:
            return JSONResponse(
                {
                    "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
                    "usageMetadata": usage,
                    "modelVersion": model,
                    "responseId": secrets.token_urlsafe(12),
                }
            )
        job = self.start_job(model, "image", params)
        await self.finish_now(job)
        if job.state != "succeeded":
            return google_error(
                500,
                "INTERNAL",
                "An internal error has occurred. Please retry or report in "
                "https://developers.generativeai.google/guide/troubleshooting",
            )
        parts: list[dict[str, Any]] = [{"text": "Here is the image you asked for."}]
        finish = "STOP"
        if BLOCK_MARKER in prompt:
            parts, finish = [], "IMAGE_SAFETY"
        elif NO_IMAGE_MARKER in prompt:
            parts, finish = [{"text": "I can't draw that, but I can describe it."}], "NO_IMAGE"
        elif marker := FINISH_MARKER.search(prompt):
            parts, finish = [], marker.group(1)
        else:
            if model.startswith("gemini-3"):  # thinking models show interim drafts
                draft = base64.b64encode(_tiny_png()).decode()
                parts.append(
                    {"inlineData": {"mimeType": "image/png", "data": draft}, "thought": True}
                )
            path = self.files.get(job.outputs[0].rsplit("/", 1)[-1])
            assert path is not None, "a just-rendered output cannot have expired"
            parts.append(
                {
                    "inlineData": {
                        "mimeType": "image/png",
                        "data": base64.b64encode(path.read_bytes()).decode(),
                    },
                    "thoughtSignature": base64.b64encode(secrets.token_bytes(16)).decode(),
                }
            )
        usage["candidatesTokenCount"] = int(
            self.usage.get("candidatesTokenCount", 1120 if finish == "STOP" else 0)
        )
        usage["totalTokenCount"] += usage["candidatesTokenCount"]
        if "thoughtsTokenCount" in self.usage:
            usage["thoughtsTokenCount"] = int(self.usage["thoughtsTokenCount"])
            usage["totalTokenCount"] += usage["thoughtsTokenCount"]
        return JSONResponse(
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": parts},
                        "finishReason": finish,
                        "index": 0,
                    }
                ],
                "usageMetadata": usage,
                "modelVersion": model,
                "responseId": secrets.token_urlsafe(12),
            }
        )

    def output_spec(self, job: SimJob) -> OutputSpec:
        body = job.body
        if job.kind == "video":
            return OutputSpec(
                prompt=str(body["prompt"]),
                count=int(body["samples"]),
                width=int(body["width"]),
                height=int(body["height"]),
                duration=min(float(body["seconds"]), 2.0),
            )
        return OutputSpec(prompt=str(body["prompt"]), width=body["width"], height=body["height"])
