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
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from io import BytesIO
from typing import Any

from PIL import Image, UnidentifiedImageError
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storyreel.providers.gemini import (
    ASPECT_RATIOS,
    IMAGE_CONFIG_KEYS,
    IMAGE_MODELS,
    LONG_ONLY_RESOLUTIONS,
    MAX_IMAGE_REFERENCES,
    MAX_SAMPLES,
    MAX_VIDEO_REFERENCES,
    VIDEO_ASPECTS,
    VIDEO_MODELS,
    VIDEO_REJECTED,
    VIDEO_RESOLUTIONS,
    VIDEO_SECONDS,
)

from .base import FileStore, OutputSpec, SimConfig, SimJob, Simulator
from .suite import register

BLOCK_MARKER = "BLOCKME"
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


def _error(
    code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return JSONResponse({"error": error}, status_code=code)


def _invalid(message: str, field: str | None = None) -> JSONResponse:
    details = None
    if field:
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            }
        ]
    return _error(400, "INVALID_ARGUMENT", message, details)


def _image_bytes(blob: Any, field: str, *, data_key: str, mime_key: str) -> bytes | Response:
    """The decoded image of an ``inlineData`` / Veo ``image`` object, or the 400 for it."""
    if not isinstance(blob, dict) or not isinstance(blob.get(data_key), str):
        return _invalid(f"{field}.{data_key} is required.", field)
    if blob.get(mime_key) not in ("image/png", "image/jpeg", "image/webp"):
        return _invalid(f"Unsupported MIME type: {blob.get(mime_key)}", f"{field}.{mime_key}")
    try:
        data = proto_bytes(blob[data_key])
        with Image.open(BytesIO(data)) as img:
            img.verify()
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        return _invalid(
            f"Invalid value at '{field}.{data_key}': the image could not be decoded.", field
        )
    return data


def proto_bytes(text: str) -> bytes:
    """Proto3 JSON bytes: standard or URL-safe base64, with or without padding (the
    official SDK sends URL-safe)."""
    normal = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(normal + "=" * (-len(normal) % 4), validate=True)


def camel(value: Any) -> Any:
    """Proto3 JSON accepts a field by its proto name or its lowerCamelCase name
    (``mime_type`` or ``mimeType``; the official SDK mixes both), so keys are normalised to
    camelCase before validating."""
    if isinstance(value, list):
        return [camel(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        head, *rest = str(key).split("_")
        out[head + "".join(word[:1].upper() + word[1:] for word in rest)] = camel(item)
    return out


def _tiny_png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (64, 64), (200, 200, 200)).save(out, format="PNG")
    return out.getvalue()


@register
class GeminiSimulator(Simulator):
    name = "gemini"

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.file_ids: dict[str, str] = {}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1beta/models/{model}/operations/{op_id}", self.get_operation),
            Route("/v1beta/files/{target}", self.download),
            Route("/v1beta/models/{target}", self.model_method, methods=["POST"]),
        ]

    # -- shared ---------------------------------------------------------------------------

    def _auth_error(self, request: Request) -> Response | None:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not key:
            return _error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )
        if key != self.config.api_key:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "generativelanguage.googleapis.com"},
                    }
                ],
            )
        return None

    def _rate_limited(self) -> Response | None:
        if not self.take_429():
            return None
        return _error(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details.",
            [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/"
                            "generate_requests_per_model",
                            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
                        }
                    ],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.05s"},
            ],
        )

    async def model_method(self, request: Request) -> Response:
        raw = await self.record(request)
        if (denied := self._auth_error(request)) is not None:
            return denied
        model, _, method = request.path_params["target"].partition(":")
        known = IMAGE_MODELS if method == "generateContent" else VIDEO_MODELS
        if method not in ("generateContent", "predictLongRunning") or model not in known:
            return _error(
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
            return _invalid("Invalid JSON payload received. Unexpected token.")
        if not isinstance(body, dict):
            return _invalid("Invalid JSON payload received. Expected an object.")
        body = camel(body)
        if method == "generateContent":
            return await self.generate_content(model, body)
        return self.predict_long_running(model, body)

    # -- images ---------------------------------------------------------------------------

    def _image_request(self, model: str, body: dict[str, Any]) -> dict[str, Any] | Response:
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            return _invalid("* GenerateContentRequest.contents: contents is not specified")
        texts: list[str] = []
        images = 0
        for c_index, content in enumerate(contents):
            for p_index, part in enumerate((content or {}).get("parts") or []):
                field = f"contents[{c_index}].parts[{p_index}]"
                if "text" in part:
                    texts.append(str(part["text"]))
                elif "inlineData" in part:
                    blob = _image_bytes(
                        part["inlineData"],
                        f"{field}.inline_data",
                        data_key="data",
                        mime_key="mimeType",
                    )
                    if isinstance(blob, Response):
                        return blob
                    images += 1
                else:
                    return _invalid(f"Invalid JSON payload received. Unknown part at '{field}'.")
        if images > MAX_IMAGE_REFERENCES:
            return _invalid(
                f"Too many input images: {images}; {model} accepts at most {MAX_IMAGE_REFERENCES}.",
                "contents",
            )
        config = body.get("generationConfig") or {}
        modalities = config.get("responseModalities") or ["TEXT"]
        if "IMAGE" not in modalities:
            return _invalid(
                "The simulator only renders images: responseModalities must include IMAGE.",
                "generation_config.response_modalities",
            )
        image_config = config.get("imageConfig") or {}
        for key in image_config:
            if key not in IMAGE_CONFIG_KEYS:
                return _invalid(
                    f'Invalid JSON payload received. Unknown name "{key}" at '
                    "'generation_config.image_config': Cannot find field.",
                    f"generation_config.image_config.{key}",
                )
        aspect = image_config.get("aspectRatio", "1:1")
        if aspect not in ASPECT_RATIOS:
            return _invalid(
                f"Unsupported aspect ratio: {aspect}. Supported: {', '.join(ASPECT_RATIOS)}.",
                "generation_config.image_config.aspect_ratio",
            )
        size = image_config.get("imageSize", "1K")
        if size not in IMAGE_MODELS[model]:
            return _invalid(
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
            return _error(
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

    # -- Veo ------------------------------------------------------------------------------

    def _video_request(self, body: dict[str, Any]) -> dict[str, Any] | Response:
        instances = body.get("instances")
        if not isinstance(instances, list) or len(instances) != 1:
            return _invalid("instances must hold exactly one instance.", "instances")
        instance = instances[0] if isinstance(instances[0], dict) else {}
        parameters = body.get("parameters") or {}
        for key in sorted(set(parameters)):
            if key in VIDEO_REJECTED:
                return _invalid(f"`{key}` isn't supported by the Gemini API.", f"parameters.{key}")
            if key not in PARAMETER_KEYS:
                return _invalid(
                    f"Invalid JSON payload received. Unknown name \"{key}\" at 'parameters'.",
                    f"parameters.{key}",
                )
        unknown = sorted(set(instance) - INSTANCE_KEYS)
        if unknown:
            return _invalid(
                f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at 'instances[0]'.",
                f"instances[0].{unknown[0]}",
            )
        if not instance.get("prompt") and "image" not in instance:
            return _invalid("A prompt or an image is required.", "instances[0].prompt")
        for key in ("image", "lastFrame"):
            if key in instance:
                blob = _image_bytes(
                    instance[key],
                    f"instances[0].{key}",
                    data_key="bytesBase64Encoded",
                    mime_key="mimeType",
                )
                if isinstance(blob, Response):
                    return blob
        if "lastFrame" in instance and "image" not in instance:
            return _invalid("lastFrame requires image.", "instances[0].last_frame")
        references = instance.get("referenceImages") or []
        if len(references) > MAX_VIDEO_REFERENCES:
            return _invalid(
                f"At most {MAX_VIDEO_REFERENCES} reference images are supported.",
                "instances[0].reference_images",
            )
        aspect = parameters.get("aspectRatio", "16:9")
        if aspect not in VIDEO_ASPECTS:
            return _invalid(f"Unsupported aspect ratio: {aspect}.", "parameters.aspect_ratio")
        seconds = parameters.get("durationSeconds", 8)
        if seconds not in VIDEO_SECONDS:
            return _invalid(
                f"Unsupported duration {seconds}; supported: 4, 6, 8.",
                "parameters.duration_seconds",
            )
        resolution = parameters.get("resolution", "720p")
        if resolution not in VIDEO_RESOLUTIONS:
            return _invalid(f"Unsupported resolution: {resolution}.", "parameters.resolution")
        if resolution in LONG_ONLY_RESOLUTIONS and seconds != 8:
            return _invalid(
                f"{resolution} is only supported with an 8 second duration.",
                "parameters.duration_seconds",
            )
        samples = parameters.get("sampleCount", 1)
        if not isinstance(samples, int) or not 1 <= samples <= MAX_SAMPLES:
            return _invalid(
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
            return _error(404, "NOT_FOUND", f"Operation {name} not found.")
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
            return _error(404, "NOT_FOUND", f"File files/{file_id} not found or expired.")
        return FileResponse(path, media_type="video/mp4")

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
