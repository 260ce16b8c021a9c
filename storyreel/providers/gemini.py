"""Google's Gemini API direct: Nano Banana images (synchronous generateContent) and Veo
videos (long-running operations).

Wire facts (reference/providers-others.md, part D): auth is the ``x-goog-api-key`` header.
Images are ``POST /v1beta/models/{model}:generateContent`` with the references inline as
``inlineData`` parts (no upload step) and ``generationConfig.imageConfig`` holding only
``aspectRatio`` and ``imageSize``; the answer comes at once, so ``submit`` keeps the image in
a scratch file. A refusal arrives inside an HTTP 200 (a safety ``finishReason`` with no image
part, or ``promptFeedback.blockReason`` with no candidate) and becomes a ProviderJobError
carrying that reason. Veo is ``POST /v1beta/models/{model}:predictLongRunning`` -> ``GET
/v1beta/{operation name}`` until ``done``; the sample's ``video.uri`` needs the API key, so
``result`` downloads it itself. Errors are ``{"error": {"code", "message", "status",
"details"}}``; a 429 ``RESOURCE_EXHAUSTED`` says when to retry in its ``RetryInfo``.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Mapping
from typing import Any

import httpx2

from storyreel.errors import (
    FailureReason,
    InputError,
    ProviderAPIError,
    ProviderJobError,
)
from storyreel.providers import chat_completions as chat
from storyreel.providers.gemini_chat import submit_text
from storyreel.providers.gemini_errors import (
    error_code,
    error_reason,
    finish_reason,
    usage_of,
)
from storyreel.providers.registry import Register
from storyreel.providers.remote import RemoteProvider, json_or_none
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status, Usage
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task, aspect_for

#: Image models and the ``imageSize`` values each accepts (2.5 Flash Image: 1K only).
IMAGE_MODELS: dict[str, tuple[str, ...]] = {
    "gemini-2.5-flash-image": ("1K",),
    "gemini-3-pro-image-preview": ("1K", "2K", "4K"),
    "gemini-3.1-flash-image-preview": ("1K", "2K", "4K"),
}
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
IMAGE_CONFIG_KEYS = frozenset({"aspectRatio", "imageSize"})
MAX_IMAGE_REFERENCES = 14

VIDEO_MODELS = frozenset(
    {
        "veo-3.1-generate-preview",
        "veo-3.1-fast-generate-preview",
        "veo-3.0-generate-001",
        "veo-3.0-fast-generate-001",
    }
)
VIDEO_ASPECTS = ("16:9", "9:16")
VIDEO_SECONDS = (4, 6, 8)
VIDEO_RESOLUTIONS = ("720p", "1080p", "4k")
#: Veo renders 1080p and 4k only as 8-second clips.
LONG_ONLY_RESOLUTIONS = frozenset({"1080p", "4k"})
MAX_VIDEO_REFERENCES = 3
MAX_SAMPLES = 4
#: Parameters the Gemini Developer API refuses for Veo (Vertex-only).
VIDEO_REJECTED = frozenset(
    {"seed", "fps", "generateAudio", "outputGcsUri", "pubsubTopic", "compressionQuality"}
)
VIDEO_PASSTHROUGH = ("personGeneration", "enhancePrompt")

_RETRY_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")


def is_video_model(model: str) -> bool:
    return model.startswith("veo-")


def image_size_for(req: GenerationRequest) -> str | None:
    return req.resolution.upper() if req.resolution else None


def video_resolution(req: GenerationRequest) -> str | None:
    return req.resolution.lower() if req.resolution else None


def video_seconds(req: GenerationRequest) -> int:
    wanted = req.duration or 8
    return min(VIDEO_SECONDS, key=lambda s: (abs(s - wanted), -s))


def retry_delay(details: Any) -> float | None:
    """Seconds in a ``google.rpc.RetryInfo`` detail (``"retryDelay": "38s"``)."""
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            match = _RETRY_DELAY.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def _inline(ref: Reference, data: bytes) -> dict[str, str]:
    return {"mimeType": ref.mime, "data": base64.b64encode(data).decode()}


class GeminiProvider(RemoteProvider):
    name = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com"
    tasks = frozenset(
        {
            Task.TEXT_TO_IMAGE,
            Task.IMAGE_TO_IMAGE,
            Task.REFERENCE_TO_IMAGE,
            Task.TEXT_TO_VIDEO,
            Task.IMAGE_TO_VIDEO,
            Task.FIRST_LAST_TO_VIDEO,
            Task.CHAT,
        }
    )
    supports_webhooks = False
    max_references = MAX_IMAGE_REFERENCES

    def auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.api_key}

    # -- capability checks -----------------------------------------------------------

    def check(self, req: GenerationRequest) -> None:
        super().check(req)
        if req.task is Task.CHAT:
            return chat.check_chat(self.name, req)
        video = is_video_model(req.model_name)
        if video != (req.task.output_kind == "video"):
            kind = "a video" if video else "an image"
            raise InputError(f"gemini: {req.model_name} is {kind} model; it cannot do {req.task}")
        if req.refs(RefRole.MASK):
            raise InputError("gemini: masks are not supported; describe the edit in the prompt")
        if video:
            self._check_video(req)
        else:
            self._check_image(req)

    def _check_image(self, req: GenerationRequest) -> None:
        if req.count != 1:
            raise InputError("gemini: generateContent returns one image per request")
        if req.task is not Task.TEXT_TO_IMAGE and not req.references:
            raise InputError(f"gemini: {req.task} needs at least one reference image")
        sizes = IMAGE_MODELS.get(req.model_name)
        size = image_size_for(req)
        if size is not None and sizes is not None and size not in sizes:
            raise InputError(f"gemini: {req.model_name} renders imageSize {', '.join(sizes)}")

    def _check_video(self, req: GenerationRequest) -> None:
        firsts = req.refs(RefRole.FIRST_FRAME) + req.refs(RefRole.INIT_IMAGE)
        lasts = req.refs(RefRole.LAST_FRAME)
        assets = req.refs(RefRole.CHARACTER) + req.refs(RefRole.STYLE)
        if len(firsts) > 1 or len(lasts) > 1 or len(assets) > MAX_VIDEO_REFERENCES:
            raise InputError(
                f"gemini: Veo takes one first frame, one last frame and at most "
                f"{MAX_VIDEO_REFERENCES} character/style references"
            )
        if req.task is Task.IMAGE_TO_VIDEO and not firsts:
            raise InputError("gemini: image-to-video needs a first_frame reference")
        if req.task is Task.FIRST_LAST_TO_VIDEO and not (firsts and lasts):
            raise InputError("gemini: first-last-to-video needs a first_frame and a last_frame")
        if lasts and not firsts:
            raise InputError("gemini: a last_frame needs a first_frame")
        if not 1 <= req.count <= MAX_SAMPLES:
            raise InputError(f"gemini: Veo makes 1 to {MAX_SAMPLES} videos per request")
        resolution = video_resolution(req)
        if resolution is not None and resolution not in VIDEO_RESOLUTIONS:
            raise InputError(f"gemini: Veo resolutions are {', '.join(VIDEO_RESOLUTIONS)}")
        if resolution in LONG_ONLY_RESOLUTIONS and video_seconds(req) != 8:
            raise InputError(f"gemini: Veo renders {resolution} only as 8-second clips")
        rejected = VIDEO_REJECTED & set(req.extra)
        if rejected:
            raise InputError(f"gemini: the Gemini API refuses {', '.join(sorted(rejected))}")

    # -- errors ---------------------------------------------------------------------

    def error_message(self, response: httpx2.Response) -> str:
        body = json_or_none(response)
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict) or not error.get("message"):
            return super().error_message(response)
        reasons = [
            str(d["reason"])
            for d in error.get("details") or []
            if isinstance(d, dict) and d.get("reason")
        ]
        status = error.get("status")
        tags = ", ".join(str(t) for t in [status, *reasons] if t)
        return f"{error['message']} ({tags})" if tags else str(error["message"])

    def error_from_response(self, response: httpx2.Response) -> ProviderAPIError:
        error = super().error_from_response(response)
        if error.retry_after is None:
            body = json_or_none(response)
            fields = body.get("error") if isinstance(body, dict) else None
            if isinstance(fields, dict):
                error.retry_after = retry_delay(fields.get("details"))
        body = json_or_none(response)
        fields = body.get("error") if isinstance(body, dict) else None
        if isinstance(fields, dict) and (code := error_code(fields)) is not None:
            error.code = code
            error.reason = error_reason(code, http_status=response.status_code)
        return error

    # -- submit -----------------------------------------------------------------------

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        if req.task is Task.CHAT:
            return await submit_text(self, req, job_id)
        if is_video_model(req.model_name):
            return await self._submit_video(req)
        return await self._submit_image(req, job_id)

    def image_body(self, req: GenerationRequest) -> dict[str, Any]:
        text = req.prompt
        if req.negative_prompt:
            text = f"{text}\n\nAvoid: {req.negative_prompt}"
        order = (RefRole.INIT_IMAGE, RefRole.FIRST_FRAME, RefRole.CHARACTER, RefRole.STYLE)
        refs = [ref for role in order for ref in req.refs(role)]
        parts: list[dict[str, Any]] = [{"text": text}]
        parts += [{"inlineData": _inline(ref, self.reference_bytes(ref))} for ref in refs]
        image_config: dict[str, str] = {}
        aspect = aspect_for(req, ASPECT_RATIOS)
        if aspect:
            image_config["aspectRatio"] = aspect
        size = image_size_for(req)
        if size:
            image_config["imageSize"] = size
        config: dict[str, Any] = {"responseModalities": ["TEXT", "IMAGE"]}
        if image_config:
            config["imageConfig"] = image_config
        if req.seed is not None:
            config["seed"] = req.seed
        return {"contents": [{"role": "user", "parts": parts}], "generationConfig": config}

    async def _submit_image(self, req: GenerationRequest, job_id: str) -> Handle:
        body = await asyncio.to_thread(self.image_body, req)
        response = await self.call(
            "POST", f"v1beta/models/{req.model_name}:generateContent", json=body
        )
        answer = response.json()
        mime, data = self.pick_image(answer)
        path = self.scratch_path(f"{job_id}-0", ".jpg" if mime == "image/jpeg" else ".png")
        await asyncio.to_thread(path.write_bytes, data)
        return Handle.answered(
            provider=self.name,
            request_id=str(answer.get("responseId") or job_id),
            data={
                "kind": "image",
                "outputs": [{"file": path.name, "mime": mime}],
                "usage": answer.get("usageMetadata"),
                "model_version": answer.get("modelVersion"),
            },
        )

    def pick_image(self, answer: dict[str, Any]) -> tuple[str, bytes]:
        """The last non-thought image part of the first candidate; a refusal otherwise."""
        feedback = answer.get("promptFeedback") or {}
        candidates = answer.get("candidates") or []
        if feedback.get("blockReason") and not candidates:
            reason = str(feedback["blockReason"])
            detail = feedback.get("blockReasonMessage") or "the prompt was blocked"
            raise ProviderJobError(
                f"gemini: prompt blocked ({reason}): {detail}",
                provider=self.name,
                reason=FailureReason.SAFETY,
                code=reason,
            )
        if not candidates:
            raise ProviderJobError(
                "gemini: the response held no candidate",
                provider=self.name,
                reason=FailureReason.MODEL_FAILED,
                code="NO_IMAGE",
            )
        candidate = candidates[0]
        parts = (candidate.get("content") or {}).get("parts") or []
        images = [
            part["inlineData"]
            for part in parts
            if isinstance(part.get("inlineData"), dict) and not part.get("thought")
        ]
        if images:
            image = images[-1]
            return str(image.get("mimeType") or "image/png"), base64.b64decode(image["data"])
        reason = str(candidate.get("finishReason") or "NO_IMAGE")
        said = " ".join(
            str(part["text"]) for part in parts if part.get("text") and not part.get("thought")
        )
        detail = candidate.get("finishMessage") or said or "no image part in the response"
        typed = finish_reason(reason)
        kind = "refused for safety" if typed is FailureReason.SAFETY else "returned no image"
        raise ProviderJobError(
            f"gemini: {kind} (finishReason {reason}): {detail}",
            provider=self.name,
            reason=typed,
            code=reason,
        )

    def video_body(self, req: GenerationRequest) -> dict[str, Any]:
        instance: dict[str, Any] = {"prompt": req.prompt}
        firsts = req.refs(RefRole.FIRST_FRAME) or req.refs(RefRole.INIT_IMAGE)
        lasts = req.refs(RefRole.LAST_FRAME)
        if firsts:
            instance["image"] = self._veo_image(firsts[0])
        if lasts:
            instance["lastFrame"] = self._veo_image(lasts[0])
        assets = req.refs(RefRole.CHARACTER) + req.refs(RefRole.STYLE)
        if assets:
            instance["referenceImages"] = [
                {"image": self._veo_image(ref), "referenceType": "asset"} for ref in assets
            ]
        parameters: dict[str, Any] = {
            "durationSeconds": video_seconds(req),
            "sampleCount": req.count,
        }
        aspect = aspect_for(req, VIDEO_ASPECTS)
        if aspect:
            parameters["aspectRatio"] = aspect
        resolution = video_resolution(req)
        if resolution:
            parameters["resolution"] = resolution
        if req.negative_prompt:
            parameters["negativePrompt"] = req.negative_prompt
        parameters |= {k: req.extra[k] for k in VIDEO_PASSTHROUGH if k in req.extra}
        return {"instances": [instance], "parameters": parameters}

    def _veo_image(self, ref: Reference) -> dict[str, str]:
        data = base64.b64encode(self.reference_bytes(ref)).decode()
        return {"bytesBase64Encoded": data, "mimeType": ref.mime}

    async def _submit_video(self, req: GenerationRequest) -> Handle:
        body = await asyncio.to_thread(self.video_body, req)
        response = await self.call(
            "POST", f"v1beta/models/{req.model_name}:predictLongRunning", json=body
        )
        operation = response.json()
        return Handle(
            provider=self.name,
            request_id=str(operation["name"]),
            data={"kind": "video", "model": req.model_name},
        )

    # -- status, result ---------------------------------------------------------------

    async def _operation(self, handle: Handle) -> dict[str, Any]:
        # The operation name has slashes (models/{model}/operations/{id}): a path, kept.
        response = await self.call("GET", f"v1beta/{handle.request_id}")
        operation: dict[str, Any] = response.json()
        return operation

    async def poll(self, handle: Handle) -> Status:
        if handle.data.get("kind") == chat.CHAT_KIND:
            return chat.chat_status(handle)
        if handle.data.get("kind") == "image":
            return Status(
                state=JobState.SUCCEEDED, progress=1.0, usage=usage_of(handle.data.get("usage"))
            )
        operation = await self._operation(handle)
        if not operation.get("done"):
            return Status(state=JobState.RUNNING)
        error = operation.get("error")
        if error:
            code = error_code(error) if isinstance(error, Mapping) else None
            return Status(
                state=JobState.FAILED,
                message=f"{error.get('message') or 'the video failed'} ({code or 'failed'})",
                error_reason=error_reason(code),
                error_code=code,
            )
        response = (operation.get("response") or {}).get("generateVideoResponse") or {}
        if not response.get("generatedSamples"):
            filtered = int(response.get("raiMediaFilteredCount") or 0)
            reasons = [str(r) for r in response.get("raiMediaFilteredReasons") or []]
            if filtered:
                return Status(
                    state=JobState.FAILED,
                    message="gemini: Veo's safety filters removed the video: "
                    + ("; ".join(reasons) or f"{filtered} filtered"),
                    error_reason=FailureReason.SAFETY,
                    error_code="RAI_MEDIA_FILTERED",
                )
            return Status(
                state=JobState.FAILED,
                message="gemini: Veo returned no video",
                error_reason=FailureReason.MODEL_FAILED,
                error_code="empty",
            )
        samples = len(response["generatedSamples"])
        return Status(state=JobState.SUCCEEDED, progress=1.0, usage=Usage(count=samples))

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        if handle.data.get("kind") == chat.CHAT_KIND:
            return chat.chat_result(handle)
        if handle.data.get("kind") == "image":
            return [self._image_artifact(item) for item in handle.data.get("outputs", [])]
        operation = await self._operation(handle)
        response = (operation.get("response") or {}).get("generateVideoResponse") or {}
        stem = handle.request_id.rsplit("/", 1)[-1]
        artifacts = []
        for index, sample in enumerate(response.get("generatedSamples") or []):
            video = sample.get("video") or {}
            mime = str(video.get("mimeType") or video.get("encoding") or "video/mp4")
            target = self.scratch_path(f"{stem}-{index}", ".mp4")
            if video.get("encodedVideo"):
                data = base64.b64decode(video["encodedVideo"])
                await asyncio.to_thread(target.write_bytes, data)
            elif video.get("uri"):
                await self.download_to(str(video["uri"]), target)
            else:
                continue
            artifacts.append(RemoteArtifact(mime=mime, path=target))
        return artifacts

    def _image_artifact(self, item: dict[str, str]) -> RemoteArtifact:
        path = self.scratch_path(item["file"], "")
        if not path.exists():
            raise ProviderJobError(
                f"gemini: image {item['file']} is no longer in this machine's scratch dir",
                provider=self.name,
                reason=FailureReason.UNKNOWN,
                code="output_lost",
            )
        return RemoteArtifact(mime=item["mime"], path=path)


def register_providers(register: Register) -> None:
    register(GeminiProvider)
