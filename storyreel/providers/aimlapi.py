"""AIML API: OpenAI-compatible chat, synchronous image generation with model-specific
bodies, and asynchronous video generation polled by ``generation_id``.

Wire facts (reference/providers-others.md, part B; seed 002): ``Authorization: Bearer``;
``POST /v1/chat/completions``; ``POST /v1/images/generations`` answers at once with
``data[].url`` or ``data[].b64_json``; ``POST /v2/video/generations`` answers
``generation_id`` (sometimes ``id``), then ``GET /v2/video/generations?generation_id=``
reports ``queued``/``waiting``/``generating``/``completed``/``error``. Errors are
``{"message", "path", "requestId", "statusCode", "timestamp"}`` (or ``{"error": {"name",
"message"}}`` inside a generation); 403 means out of credits. No webhooks and no uploads:
reference images travel inline as data URIs, which every image field here accepts.

The model table (fields and allowed values per model) lives in ``aimlapi_models``, shared
with the simulator, so what the adapter sends and what the fake accepts cannot drift apart.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx2

from storyreel.errors import (
    FailureReason,
    InputError,
    ProviderAPIError,
    ProviderJobError,
    QuotaError,
)
from storyreel.media.mime import IMAGE_MIMES, mime_from_url, sniff_mime, suffix_for
from storyreel.providers.aimlapi_models import AimlModel, model_for, video_state
from storyreel.providers.chat_completions import (
    CHAT_KIND,
    chat_result,
    chat_status,
    submit_chat,
)
from storyreel.providers.registry import Register
from storyreel.providers.remote import RemoteProvider, json_or_none
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status, Usage
from storyreel.vocabulary import (
    IMAGE_TASKS,
    VIDEO_TASKS,
    GenerationRequest,
    Reference,
    RefRole,
    Task,
    aspect_for,
)

CHAT_PATH = "/v1/chat/completions"
IMAGES_PATH = "/v1/images/generations"
VIDEO_PATH = "/v2/video/generations"


def _nearest(value: float, allowed: tuple[Any, ...]) -> Any:
    return min(allowed, key=lambda option: abs(float(option) - value))


def _pick(value: str | None, allowed: tuple[Any, ...] | None, what: str, model: str) -> Any:
    """``value`` as the model spells it (``768p`` -> ``768P``), or InputError."""
    if value is None or allowed is None:
        return value
    for option in allowed:
        if str(option).lower() == value.lower():
            return option
    options = ", ".join(map(str, allowed))
    raise InputError(f"aimlapi model {model!r} takes {what} {options}, not {value!r}")


class AimlApiProvider(RemoteProvider):
    name = "aimlapi"
    default_base_url = "https://api.aimlapi.com"
    tasks = IMAGE_TASKS | VIDEO_TASKS | {Task.CHAT}
    supports_webhooks = False
    max_references = 14
    upload_ttl = None  # references travel inline as data URIs

    # -- errors -----------------------------------------------------------------------

    def error_message(self, response: httpx2.Response) -> str:
        body = json_or_none(response)
        if isinstance(body, Mapping):
            error = body.get("error")
            if isinstance(error, Mapping) and error.get("message"):
                name = error.get("name")
                return f"{name}: {error['message']}" if name else str(error["message"])
            if isinstance(body.get("message"), str) and body["message"]:
                return str(body["message"])
        return super().error_message(response)

    def error_from_response(self, response: httpx2.Response) -> ProviderAPIError:
        if response.status_code == 403:  # AIML's "You've run out of credits"
            message = f"{self.name}: HTTP 403: {self.error_message(response)}"
            return QuotaError(message, provider=self.name, status=403)
        return super().error_from_response(response)

    # -- checks ---------------------------------------------------------------------------

    def check(self, req: GenerationRequest) -> None:
        super().check(req)
        if req.task is Task.CHAT:
            if req.references:
                raise InputError("aimlapi chat takes no reference images")
            return
        model = model_for(req.model_name)
        if model is None:
            return  # an id we have no table for: sent as given, AIML validates it
        if model.kind != req.task.output_kind:
            raise InputError(f"aimlapi model {req.model_name!r} makes {model.kind}s")
        if model.kind == "image":
            self._check_image(req, model)
        else:
            self._check_video(req, model)

    def _check_image(self, req: GenerationRequest, model: AimlModel) -> None:
        refs = self.image_refs(req)
        if req.count > model.max_count:
            raise InputError(
                f"aimlapi model {req.model_name!r} makes at most {model.max_count} images"
            )
        if len(refs) > model.max_images:
            raise InputError(
                f"aimlapi model {req.model_name!r} takes at most {model.max_images} images"
            )
        if "image_urls" in model.required and not refs:
            raise InputError(f"aimlapi model {req.model_name!r} needs a reference image")

    def _check_video(self, req: GenerationRequest, model: AimlModel) -> None:
        first, last = self.frame_refs(req)
        if req.task is Task.FIRST_LAST_TO_VIDEO and not (model.last_frame and first and last):
            raise InputError(
                f"aimlapi model {req.model_name!r} cannot take a first and a last frame"
            )
        if first and not model.first_frame:
            raise InputError(f"aimlapi model {req.model_name!r} takes no input image")
        if "image_url" in model.required and not first:
            raise InputError(f"aimlapi model {req.model_name!r} needs a first-frame image")

    @staticmethod
    def image_refs(req: GenerationRequest) -> list[Reference]:
        return [
            *req.refs(RefRole.INIT_IMAGE),
            *req.refs(RefRole.FIRST_FRAME),
            *req.refs(RefRole.CHARACTER),
            *req.refs(RefRole.STYLE),
        ]

    @staticmethod
    def frame_refs(req: GenerationRequest) -> tuple[Reference | None, Reference | None]:
        firsts = req.refs(RefRole.FIRST_FRAME) or req.refs(RefRole.INIT_IMAGE)
        lasts = req.refs(RefRole.LAST_FRAME)
        return (firsts[0] if firsts else None), (lasts[0] if lasts else None)

    # -- bodies ---------------------------------------------------------------------------

    def image_body(self, req: GenerationRequest, model: AimlModel | None) -> dict[str, Any]:
        body: dict[str, Any] = {"model": req.model_name, "prompt": req.prompt}
        refs = [self.reference_data_uri(ref) for ref in self.image_refs(req)]
        family = model.family if model else None
        enums = model.enums if model else {}
        if family in ("nano_banana", "nano_banana_edit"):
            body["num_images"] = req.count
            if aspect := aspect_for(req, enums.get("aspect_ratio")):
                body["aspect_ratio"] = aspect
            if req.resolution and "resolution" in enums:
                body["resolution"] = _pick(
                    req.resolution, enums["resolution"], "resolution", req.model_name
                )
        elif family == "seedream":
            if req.resolution:
                body["image_size"] = req.resolution.upper()
            elif req.width and req.height and min(req.width, req.height) >= 1440:
                body["image_size"] = {"width": req.width, "height": req.height}
            body["response_format"] = "url"
            if req.seed is not None:
                body["seed"] = req.seed
        elif family == "flux":
            body["num_images"] = req.count
            if req.width and req.height:
                body["image_size"] = {
                    "width": max(512, req.width // 32 * 32),
                    "height": max(512, req.height // 32 * 32),
                }
            if req.seed:
                body["seed"] = req.seed
            if req.steps:
                body["num_inference_steps"] = req.steps
            if req.guidance is not None:
                body["guidance_scale"] = req.guidance
        if refs:
            body["image_urls"] = refs
        return body | _overrides(req)

    def video_body(self, req: GenerationRequest, model: AimlModel | None) -> dict[str, Any]:
        body: dict[str, Any] = {"model": req.model_name, "prompt": req.prompt}
        first, last = self.frame_refs(req)
        if first is not None:
            body["image_url"] = self.reference_data_uri(first)
        if last is not None and req.task is Task.FIRST_LAST_TO_VIDEO:
            body["last_image_url"] = self.reference_data_uri(last)
        enums = model.enums if model else {}
        family = model.family if model else None
        seconds = req.duration or (model.default_duration if model else None)
        if seconds:
            allowed = enums.get("duration")
            body["duration"] = _nearest(seconds, allowed) if allowed else round(seconds)
        if req.resolution:
            body["resolution"] = _pick(
                req.resolution, enums.get("resolution"), "resolution", req.model_name
            )
        if family in ("seedance", "veo", None) and (
            aspect := aspect_for(req, enums.get("aspect_ratio"))
        ):
            body["aspect_ratio"] = aspect
        if family in ("seedance", "veo"):
            if req.seed is not None:
                body["seed"] = req.seed
            if req.audio is not None:
                body["generate_audio"] = req.audio
        if family in ("veo", "kling") and req.negative_prompt:
            body["negative_prompt"] = req.negative_prompt
        return body | _overrides(req)

    # -- submit ---------------------------------------------------------------------------

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        if req.task is Task.CHAT:
            return await submit_chat(self, req, job_id, CHAT_PATH, overrides=_overrides(req))
        model = model_for(req.model_name)
        if req.task.output_kind == "image":
            return await self._images(req, model, job_id)
        response = await self.call("POST", VIDEO_PATH, json=self.video_body(req, model))
        data = json_or_none(response)
        if not isinstance(data, dict):
            raise ProviderAPIError(f"{self.name}: unexpected response", provider=self.name)
        generation_id = data.get("generation_id") or data.get("id")
        if video_state(data.get("status")) is JobState.FAILED or not generation_id:
            reason, code = failure_of(data)
            raise ProviderJobError(
                f"{self.name}: {_error_text(data) or 'no generation id returned'} ({code})",
                provider=self.name,
                reason=reason,
                code=code,
            )
        return Handle(
            provider=self.name,
            request_id=str(generation_id),
            data={"kind": "video", "model": req.model_name, "credits_used": _credits(data)},
        )

    async def _images(self, req: GenerationRequest, model: AimlModel | None, job_id: str) -> Handle:
        """Synchronous: the call returns the images; keep their URLs (or files) for result."""
        response = await self.call("POST", IMAGES_PATH, json=self.image_body(req, model))
        data = json_or_none(response)
        items = data.get("data") if isinstance(data, dict) else None
        images: list[dict[str, str]] = []
        for index, item in enumerate(items or []):
            if not isinstance(item, Mapping):
                continue
            if isinstance(url := item.get("url"), str) and url:
                reported = item.get("content_type")
                mime = reported if reported in IMAGE_MIMES else mime_from_url(url, "image/png")
                images.append({"url": url, "mime": str(mime)})
            elif isinstance(encoded := item.get("b64_json"), str) and encoded:
                path, mime = self._decode(f"{job_id}-{index}", encoded)
                images.append({"path": str(path), "mime": mime})
        if not images:
            raise ProviderJobError(
                f"{self.name}: the image call returned no image",
                provider=self.name,
                reason=FailureReason.MODEL_FAILED,
                code="empty",
            )
        return Handle.answered(
            provider=self.name,
            request_id=job_id,
            data={
                "kind": "image",
                "model": req.model_name,
                "images": images,
                "credits_used": _credits(data if isinstance(data, dict) else {}),
            },
        )

    def _decode(self, name: str, encoded: str) -> tuple[Path, str]:
        try:
            raw = base64.b64decode(encoded.split(",", 1)[-1], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProviderJobError(
                f"{self.name}: b64_json is not base64", provider=self.name
            ) from exc
        mime = sniff_mime(raw, "image/png")
        path = self.scratch_path(name, suffix_for(mime))
        path.write_bytes(raw)
        return path, mime

    # -- poll and result --------------------------------------------------------------------

    async def _generation(self, handle: Handle) -> dict[str, Any]:
        response = await self.call("GET", VIDEO_PATH, params={"generation_id": handle.request_id})
        data = json_or_none(response)
        if not isinstance(data, dict):
            raise ProviderAPIError(f"{self.name}: unexpected poll response", provider=self.name)
        return data

    async def poll(self, handle: Handle) -> Status:
        if handle.data.get("kind") == CHAT_KIND:
            return chat_status(handle)
        if handle.data.get("kind") == "image":
            count = len(handle.data.get("images") or [])
            return Status(state=JobState.SUCCEEDED, progress=1.0, usage=Usage(count=count))
        data = await self._generation(handle)
        state = video_state(data.get("status"))
        if state is None:
            raise ProviderAPIError(
                f"{self.name}: unknown status {data.get('status')!r}", provider=self.name
            )
        if state is JobState.FAILED:
            reason, code = failure_of(data)
            return Status(
                state=state,
                message=f"{_error_text(data) or 'generation failed'} ({code})",
                error_reason=reason,
                error_code=code,
            )
        if state is JobState.SUCCEEDED:
            video = data.get("video")
            count = len(video) if isinstance(video, list) else 1
            return Status(state=state, message="completed", usage=Usage(count=count))
        return Status(state=state, message=str(data.get("status")))

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        kind = handle.data.get("kind")
        if kind == CHAT_KIND:
            return chat_result(handle)
        if kind == "image":
            return [
                RemoteArtifact(mime=item["mime"], url=item["url"])
                if "url" in item
                else RemoteArtifact(mime=item["mime"], path=Path(item["path"]))
                for item in handle.data["images"]
            ]
        data = await self._generation(handle)
        video = data.get("video")
        videos = video if isinstance(video, list) else [video]
        urls = [v["url"] for v in videos if isinstance(v, Mapping) and v.get("url")]
        if video_state(data.get("status")) is not JobState.SUCCEEDED or not urls:
            raise ProviderJobError(
                f"{self.name}: no video: {_error_text(data) or data.get('status')}",
                provider=self.name,
            )
        return [RemoteArtifact(mime="video/mp4", url=str(url)) for url in urls]


def _overrides(req: GenerationRequest) -> dict[str, Any]:
    """``extra["aimlapi"]``: fields sent as given, over ours."""
    value = req.extra.get("aimlapi")
    return dict(value) if isinstance(value, Mapping) else {}


def _error_text(data: Mapping[str, Any]) -> str:
    error = data.get("error")
    if isinstance(error, Mapping):
        return str(error.get("message") or "")
    if isinstance(error, str):
        return error
    return str(data.get("message") or "")


def _error_name(data: Mapping[str, Any]) -> str | None:
    error = data.get("error")
    return str(error["name"]) if isinstance(error, Mapping) and error.get("name") else None


_SAFETY_WORDS = ("moderation", "content policy", "safety", "nsfw", "sensitive", "prohibited")


def failure_of(data: Mapping[str, Any]) -> tuple[FailureReason, str]:
    """A failed generation: AIML's ``error.name`` is generic (``GenerationError``), so the
    message tells a moderation refusal ("Content moderation rejected the prompt") apart."""
    code = _error_name(data) or "error"
    lowered = _error_text(data).lower()
    if any(word in lowered for word in _SAFETY_WORDS):
        return FailureReason.SAFETY, code
    if "timeout" in lowered or "timed out" in lowered:
        return FailureReason.TIMEOUT, code
    return FailureReason.MODEL_FAILED, code


def _credits(data: Mapping[str, Any]) -> float | None:
    """``meta.usage.credits_used``, or ``tokens_used`` as the nano-banana-pro example has."""
    meta = data.get("meta")
    usage = meta.get("usage") if isinstance(meta, Mapping) else None
    if not isinstance(usage, Mapping):
        return None
    value = usage.get("credits_used", usage.get("tokens_used"))
    return float(value) if isinstance(value, int | float) else None


def register_providers(register: Register) -> None:
    register(AimlApiProvider)
