"""ModelsLab over its v6/v7/v8 JSON APIs: submit -> fetch until ``success`` -> outputs,
uploads through ``base64_to_url``, and unsigned webhooks treated as hints.

Wire facts (reference/providers-others.md, part A; seed 000): the API key travels in the
JSON body as ``key``; every call, fetch included, is a POST; responses share one envelope
(``status``: ``success`` | ``processing`` | ``error`` | ``failed``) and errors often come
back inside HTTP 200, with ``message`` or the misspelled ``messege``; ``id`` may be an int
or a string; a processing response may carry a ``fetch_result`` URL, used verbatim. We pass
our job id as ``track_id``, so a webhook (which carries no signature) is matched and
de-duplicated by it, and only ever wakes the job: the next fetch decides.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

import httpx2

from storyreel.errors import (
    FailureReason,
    InputError,
    ProviderAPIError,
    ProviderJobError,
    QuotaError,
    WebhookRejected,
)
from storyreel.media.mime import default_mime, mime_from_url, sniff_mime, suffix_for
from storyreel.providers import chat_completions as chat
from storyreel.providers.modelslab_models import (
    DEFAULT_VOICE,
    FRAMES_PER_SECOND,
    MAX_SAMPLES,
    SUBMIT_PATHS,
    UPLOAD_PATH,
    V6_MAX_SIDE,
    ModelsLabModel,
    RouteName,
    fetch_path,
    model_for,
    number,
)
from storyreel.providers.modelslab_responses import (
    FAILED_STATUSES,
    failure_of,
    message_of,
    outputs_of,
    state_of,
    usage_of,
)
from storyreel.providers.options import ProviderOptions, parse_options
from storyreel.providers.registry import Register
from storyreel.providers.remote import RemoteProvider, json_or_none, parse_retry_after
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status, Usage, WebhookEvent
from storyreel.vocabulary import (
    GenerationRequest,
    Reference,
    RefRole,
    Task,
    aspect_for,
    aspect_size,
)

#: base64_to_url takes files up to 5 MB.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _fit(width: int, height: int, limit: int = V6_MAX_SIDE) -> tuple[int, int]:
    """Scale down to ``limit`` on the long side and round to multiples of 8."""
    scale = min(1.0, limit / max(width, height))
    return max(8, int(width * scale) // 8 * 8), max(8, int(height * scale) // 8 * 8)


def _nearest(value: float, allowed: tuple[str, ...]) -> str:
    return min(allowed, key=lambda option: abs(float(option) - value))


class ModelsLabOptions(ProviderOptions):
    """``STORYREEL_PROVIDERS__MODELSLAB__OPTIONS__*``."""

    image_api_version: Literal["v6", "v8"] = "v6"
    """API version of community image model routes."""


LLM_PATH = "/api/v7/llm/chat/completions"


class ModelsLabProvider(RemoteProvider):
    name = "modelslab"
    default_base_url = "https://modelslab.com"
    tasks = frozenset(
        {
            Task.TEXT_TO_IMAGE,
            Task.IMAGE_TO_IMAGE,
            Task.REFERENCE_TO_IMAGE,
            Task.IMAGE_TO_VIDEO,
            Task.TEXT_TO_VIDEO,
            Task.SPEECH,
            Task.CHAT,
        }
    )
    supports_webhooks = True
    max_references = 14
    # base64_to_url links expire after 24 h; a job may wait in ModelsLab's queue before
    # the image is read, so the cache re-uploads well before that.
    upload_ttl = timedelta(hours=20)
    options_model = ModelsLabOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = parse_options(self.name, ModelsLabOptions, self.ctx.settings.options)
        self.image_api_version: str = options.image_api_version

    def auth_headers(self) -> dict[str, str]:
        return {}  # the key travels in the JSON body

    # -- errors -----------------------------------------------------------------------

    def error_message(self, response: httpx2.Response) -> str:
        body = json_or_none(response)
        if isinstance(body, Mapping) and (message := message_of(body)):
            return message
        return super().error_message(response)

    def error_from_response(self, response: httpx2.Response) -> ProviderAPIError:
        error = super().error_from_response(response)
        body = json_or_none(response)
        if error.retry_after is None and isinstance(body, Mapping):
            error.retry_after = parse_retry_after(str(body.get("retry_after") or ""))
        return error

    def api_error(self, body: Mapping[str, Any]) -> ProviderAPIError | None:
        """An error envelope that is about the account, not the job (a bad key, the queue
        limit, no credits), even when it came back as HTTP 200."""
        message = message_of(body)
        text = f"{self.name}: {message or 'error'}"
        lowered = message.lower()
        if "retry_after" in body or "rate limit" in lowered or "queued requests" in lowered:
            retry_after = parse_retry_after(str(body.get("retry_after") or ""))
            return ProviderAPIError(
                text, provider=self.name, status=429, retryable=True, retry_after=retry_after
            )
        if "api key" in lowered or "unauthori" in lowered:
            return ProviderAPIError(text, provider=self.name, status=401)
        if any(word in lowered for word in ("credit", "balance", "subscription", "insufficient")):
            return QuotaError(text, provider=self.name, status=402)
        return None

    async def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST with the key in the body; account-level error envelopes raise."""
        response = await self.call("POST", path, json={"key": self.api_key, **body})
        data = json_or_none(response)
        if not isinstance(data, dict):
            raise ProviderAPIError(
                f"{self.name}: unexpected response: {response.text[:200]}",
                provider=self.name,
                status=response.status_code,
            )
        if data.get("status") in FAILED_STATUSES and (error := self.api_error(data)) is not None:
            raise error
        return data

    # -- what to call -------------------------------------------------------------------

    def route_for(self, req: GenerationRequest, model: ModelsLabModel | None) -> RouteName:
        if req.task is Task.SPEECH:
            return "music-gen" if model and model.family == "music" else "text-to-speech"
        if req.task is Task.TEXT_TO_IMAGE:
            return "text-to-image"
        if req.task is Task.TEXT_TO_VIDEO:
            return "text-to-video"
        if req.task is Task.IMAGE_TO_VIDEO:
            return "image-to-video"
        return "image-to-image"

    def version_for(self, req: GenerationRequest, model: ModelsLabModel | None) -> str:
        """Community image models default to the documented v6 routes; ``image_api_version``
        (option) or ``extra["api_version"]`` switch to seed 000's v8 routes."""
        if model is not None and model.family != "community":
            return "v7"
        if req.task.output_kind != "image":
            return "v7"
        version = str(req.extra.get("api_version") or self.image_api_version)
        if version not in ("v6", "v8"):
            raise InputError(f"modelslab: image_api_version must be v6 or v8, not {version!r}")
        return version

    def check(self, req: GenerationRequest) -> None:
        super().check(req)
        if req.task is Task.CHAT:
            return chat.check_chat(self.name, req)
        model = model_for(req.model_name)
        route = self.route_for(req, model)
        if model is not None and route not in model.routes:
            can = ", ".join(sorted(model.routes))
            raise InputError(f"modelslab model {req.model_name!r} serves {can}, not {route}")
        max_samples = model.max_samples if model else MAX_SAMPLES
        if req.count > max_samples:
            raise InputError(
                f"modelslab model {req.model_name!r} makes at most {max_samples} images a call"
            )
        images = self.input_refs(req)
        if route in ("image-to-image", "image-to-video"):
            if not images:
                raise InputError(f"modelslab {route} needs a reference image")
            limit = model.max_images if model else 1
            if len(images) > limit:
                raise InputError(
                    f"modelslab model {req.model_name!r} takes at most {limit} input images"
                )

    @staticmethod
    def input_refs(req: GenerationRequest) -> list[Reference]:
        if req.task.output_kind == "video":
            return (req.refs(RefRole.FIRST_FRAME) or req.refs(RefRole.INIT_IMAGE))[:1]
        return [
            *req.refs(RefRole.INIT_IMAGE),
            *req.refs(RefRole.FIRST_FRAME),
            *req.refs(RefRole.CHARACTER),
            *req.refs(RefRole.STYLE),
        ]

    # -- bodies -------------------------------------------------------------------------

    async def build_body(
        self, req: GenerationRequest, model: ModelsLabModel | None, route: RouteName
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"model_id": req.model_name, "prompt": req.prompt}
        family = model.family if model else None
        refs = self.input_refs(req) if route in ("image-to-image", "image-to-video") else []
        urls = [await self.reference_url(ref) for ref in refs]
        if route in ("text-to-image", "image-to-image") and family in (None, "community"):
            body |= self._community(req, model, route, urls)
        elif family == "v7_image":
            assert model is not None
            body |= self._v7_image(req, model, urls)
        elif family == "frames_video":
            body |= self._frames_video(req, urls)
        elif route in ("text-to-video", "image-to-video"):
            body |= self._fusion_video(req, model, urls)
        elif route == "text-to-speech":
            voice = req.extra.get("voice_id") or req.extra.get("voice") or DEFAULT_VOICE
            body["voice_id"] = str(voice)  # ``voice``: the name every adapter reads
        overrides: dict[str, Any] = req.extra.get("modelslab", {})
        return body | overrides

    def _community(
        self,
        req: GenerationRequest,
        model: ModelsLabModel | None,
        route: RouteName,
        urls: list[str],
    ) -> dict[str, Any]:
        if req.width and req.height:
            width, height = _fit(req.width, req.height)
        else:
            width, height = _fit(*aspect_size(req.aspect))
        body: dict[str, Any] = {"width": width, "height": height, "samples": req.count}
        optional = model.optional if model else frozenset({"negative_prompt", "seed"})
        if req.negative_prompt and "negative_prompt" in optional:
            body["negative_prompt"] = req.negative_prompt
        if req.seed is not None:
            body["seed"] = req.seed
        if req.steps:
            body["num_inference_steps"] = req.steps
        if req.guidance is not None:
            body["guidance_scale"] = req.guidance
        if route == "image-to-image":
            body["init_image"] = urls[0]
            body["strength"] = req.extra.get("strength", 0.5)
        return body

    def _v7_image(
        self, req: GenerationRequest, model: ModelsLabModel, urls: list[str]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if "aspect_ratio" in model.enums and (
            aspect := aspect_for(req, model.enums["aspect_ratio"])
        ):
            body["aspect_ratio"] = aspect
        if model.max_samples > 1:
            body["samples"] = req.count
        if urls:
            if model.init_array:
                body["init_image"] = urls
            else:
                body["init_image"] = urls[0]
                if len(urls) > 1:
                    body["init_image_2"] = urls[1]
        return body

    def _frames_video(self, req: GenerationRequest, urls: list[str]) -> dict[str, Any]:
        if req.width and req.height:
            width, height = req.width, req.height
        elif req.aspect:
            width, height = aspect_size(req.aspect, 1280)
        else:
            width, height = 1280, 720  # seed 000
        seconds = req.duration or 4.0
        body: dict[str, Any] = {
            "width": width,
            "height": height,
            "num_frames": max(1, round(seconds * FRAMES_PER_SECOND)),
        }
        if urls:
            body["init_image"] = urls[0]
        return body

    def _fusion_video(
        self, req: GenerationRequest, model: ModelsLabModel | None, urls: list[str]
    ) -> dict[str, Any]:
        enums = model.enums if model else {}
        optional = model.optional if model else frozenset()
        body: dict[str, Any] = {}
        if urls:
            body["init_image"] = urls if model and model.init_array else urls[0]
        if req.duration:
            allowed = enums.get("duration")
            body["duration"] = (
                _nearest(req.duration, allowed) if allowed else str(round(req.duration))
            )
        if model is None or "aspect_ratio" in enums:
            aspect = aspect_for(req, enums.get("aspect_ratio"))
            if aspect:
                body["aspect_ratio"] = aspect
        if req.resolution:
            allowed = enums.get("resolution")
            if allowed is None:
                body["resolution"] = req.resolution
            else:
                match = [r for r in allowed if r.lower() == req.resolution.lower()]
                if not match:
                    raise InputError(
                        f"modelslab model {req.model_name!r} takes resolution "
                        f"{', '.join(allowed)}, not {req.resolution!r}"
                    )
                body["resolution"] = match[0]
        if req.audio is not None and "generate_audio" in optional:
            body["generate_audio"] = req.audio
        if req.negative_prompt and "negative_prompt" in optional:
            body["negative_prompt"] = req.negative_prompt
        if "camera_fixed" in optional and "camera_fixed" in req.extra:
            body["camera_fixed"] = bool(req.extra["camera_fixed"])
        return body

    # -- submit, poll, result -----------------------------------------------------------

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        if req.task is Task.CHAT:  # the LLM API takes the key as a bearer token
            bearer = {"Authorization": f"Bearer {self.api_key}"}
            return await chat.submit_chat(self, req, job_id, LLM_PATH, headers=bearer)
        model = model_for(req.model_name)
        route = self.route_for(req, model)
        path = SUBMIT_PATHS[(self.version_for(req, model), route)]
        body = await self.build_body(req, model, route)
        body["track_id"] = job_id
        if webhook_url:
            body["webhook"] = webhook_url
        data = await self.post(path, body)
        status = data.get("status")
        if status in FAILED_STATUSES:
            reason, code = failure_of(data, default=FailureReason.INPUT)
            raise ProviderJobError(
                f"{self.name}: {message_of(data) or 'request refused'} ({code})",
                provider=self.name,
                reason=reason,
                code=code,
            )
        if state_of(status) is None:
            raise ProviderAPIError(f"{self.name}: unknown status {status!r}", provider=self.name)
        raw_id = data.get("id")
        request_id = str(raw_id) if raw_id not in (None, "") else job_id
        kind = model.kind if model else req.task.output_kind
        info: dict[str, Any] = {"model_id": req.model_name, "kind": kind, "track_id": job_id}
        if isinstance(eta := number(data.get("eta")), float):
            info["eta"] = eta
        outputs = outputs_of(data) if status == "success" else []
        if outputs and all(o.startswith(("http://", "https://")) for o in outputs):
            info["output"] = outputs  # finished inline: keep the (few, short) URLs
            info["usage"] = usage_of(data).model_dump(mode="json", exclude_none=True)
        fetch_url = data.get("fetch_result") or self.url(fetch_path(path, request_id))
        return Handle(
            provider=self.name,
            request_id=request_id,
            urls={"fetch": fetch_url},
            data=info,
            ready_at=time.time() if "output" in info else None,
        )

    async def fetch(self, handle: Handle) -> dict[str, Any]:
        """The fetch call; ``request_id`` rides along for the body-form fetch route."""
        return await self.post(handle.urls["fetch"], {"request_id": handle.request_id})

    async def poll(self, handle: Handle) -> Status:
        if handle.data.get("kind") == chat.CHAT_KIND:
            return chat.chat_status(handle)
        if handle.data.get("output"):
            usage = Usage.model_validate(handle.data.get("usage") or {})
            return Status(state=JobState.SUCCEEDED, progress=1.0, usage=usage)
        data = await self.fetch(handle)
        state = state_of(data.get("status"))
        if state is None:
            raise ProviderAPIError(
                f"{self.name}: unknown status {data.get('status')!r}", provider=self.name
            )
        if state is JobState.RUNNING:
            eta = number(data.get("eta"))
            message = f"processing; eta {eta:.0f} s" if eta is not None else "processing"
            return Status(state=state, message=message)
        if state is JobState.FAILED:
            reason, code = failure_of(data, default=FailureReason.MODEL_FAILED)
            return Status(
                state=state,
                message=f"{message_of(data) or 'generation failed'} ({code})",
                error_reason=reason,
                error_code=code,
            )
        return Status(state=state, progress=1.0, usage=usage_of(data))

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        if handle.data.get("kind") == chat.CHAT_KIND:
            return chat.chat_result(handle)
        outputs: list[str] = list(handle.data.get("output") or [])
        if not outputs:
            data = await self.fetch(handle)
            if data.get("status") != "success":
                raise ProviderJobError(
                    f"{self.name}: no result: {message_of(data) or data.get('status')}",
                    provider=self.name,
                )
            outputs = outputs_of(data)
        kind = str(handle.data.get("kind", "image"))
        return [self._artifact(handle, index, item, kind) for index, item in enumerate(outputs)]

    def _artifact(self, handle: Handle, index: int, item: str, kind: str) -> RemoteArtifact:
        if item.startswith(("http://", "https://")):
            return RemoteArtifact(mime=mime_from_url(item, default_mime(kind)), url=item)
        # ``base64: true`` outputs: decode into our scratch dir.
        encoded = item.split(",", 1)[1] if item.startswith("data:") else item
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProviderJobError(
                f"{self.name}: output {index} is neither a URL nor base64", provider=self.name
            ) from exc
        mime = sniff_mime(data, default_mime(kind))
        path = self.scratch_path(f"{handle.request_id}-{index}", suffix_for(mime))
        path.write_bytes(data)
        return RemoteArtifact(mime=mime, path=path)

    # -- uploads ------------------------------------------------------------------------

    async def upload(self, data: bytes, mime: str) -> str:
        if len(data) > MAX_UPLOAD_BYTES:
            raise InputError(
                f"modelslab uploads are limited to 5 MB; this file is {len(data) / 1e6:.1f} MB"
            )
        encoded = base64.b64encode(data).decode()
        body = await self.post(UPLOAD_PATH, {"base64_string": f"data:{mime};base64,{encoded}"})
        links = outputs_of(body)
        if body.get("status") != "success" or not links:
            raise ProviderAPIError(
                f"{self.name}: upload failed: {message_of(body) or body.get('status')}",
                provider=self.name,
            )
        return links[0]

    # -- webhooks -----------------------------------------------------------------------

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """ModelsLab signs nothing: the job token in the URL is the only check, and the
        event only wakes the job (its next fetch decides). Duplicates share an event id
        built from ``track_id`` (our job id), ``id`` and ``status``."""
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise WebhookRejected("modelslab webhook: body is not JSON") from exc
        if not isinstance(payload, dict) or "status" not in payload:
            raise WebhookRejected("modelslab webhook: not a ModelsLab payload")
        raw_id = payload.get("id")
        track_id = payload.get("track_id")
        if raw_id in (None, "") and not track_id:
            raise WebhookRejected("modelslab webhook: carries neither id nor track_id")
        request_id = str(raw_id) if raw_id not in (None, "") else str(track_id)
        status = str(payload["status"])
        return WebhookEvent(
            request_id=request_id,
            state=state_of(status),
            event_id=f"{track_id or ''}:{request_id}:{status}",
            payload=payload,
        )


def register_providers(register: Register) -> None:
    register(ModelsLabProvider)
