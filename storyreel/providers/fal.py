"""fal.ai over its queue API: submit -> status -> result -> cancel, CDN uploads, and
Ed25519-signed webhooks.

Wire facts (reference/providers-fal-replicate.md, part A): submit is
``POST {queue}/{app_id}`` with the model input as the whole body and ``?fal_webhook=``;
status/result/cancel use the URLs the submit response returns; a failed request still ends
``COMPLETED``, with ``error`` and ``error_type``; auth is ``Authorization: Key <key>``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx2

from storyreel.errors import (
    FailureReason,
    ProviderAPIError,
    ProviderJobError,
    WebhookRejected,
    reason_for_status,
)
from storyreel.media.mime import mime_from_url
from storyreel.providers.fal_apps import FalApp, app_for, image_size
from storyreel.providers.options import ProviderOptions, parse_options
from storyreel.providers.origin import on_origin
from storyreel.providers.registry import Register
from storyreel.providers.remote import RemoteProvider, json_or_none
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status, Usage, WebhookEvent
from storyreel.vocabulary import IMAGE_TASKS, GenerationRequest, RefRole, Task

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DEFAULT_JWKS_URL = "https://rest.fal.ai/.well-known/jwks.json"
DEFAULT_PLATFORM_URL = "https://api.fal.ai"


class FalOptions(ProviderOptions):
    """``STORYREEL_PROVIDERS__FAL__OPTIONS__*``: where fal's side services live."""

    rest_url: str = "https://rest.fal.ai"
    jwks_url: str = DEFAULT_JWKS_URL
    platform_url: str = DEFAULT_PLATFORM_URL


BACKUP_QUEUE_URL = "https://queue.falrun.com"  # named in fal's queue OpenAPI
WEBHOOK_TOLERANCE = 300  # seconds, as fal's verification guide says
JWKS_TTL = 24 * 3600

_STATES = {"IN_QUEUE": JobState.QUEUED, "IN_PROGRESS": JobState.RUNNING}
#: ``error_type`` of a failed request (status body, error body, ``X-Fal-Error-Type``).
#: Any other ``runner_*`` is fal's infrastructure too (PROVIDER_DOWN).
ERROR_TYPES = {
    "request_timeout": FailureReason.TIMEOUT,
    "startup_timeout": FailureReason.TIMEOUT,
    "generation_timeout": FailureReason.TIMEOUT,
    "request_cancelled": FailureReason.CANCELED,
    "internal_server_error": FailureReason.PROVIDER_DOWN,
    "downstream_service_error": FailureReason.PROVIDER_DOWN,
    "downstream_service_unavailable": FailureReason.PROVIDER_DOWN,
    "content_policy_violation": FailureReason.SAFETY,
    "no_media_generated": FailureReason.MODEL_FAILED,
}


def reason_for_error_type(error_type: str | None, *, status: int | None = None) -> FailureReason:
    """fal's ``error_type`` (or a ``detail[].type``) as a FailureReason. Unknown types of a
    4xx answer are validation types (``image_too_large``, ``file_download_error``,
    ``missing``): INPUT; of a finished request with no status: MODEL_FAILED."""
    if error_type in ERROR_TYPES:
        return ERROR_TYPES[error_type]
    if error_type and error_type.startswith("runner_"):
        return FailureReason.PROVIDER_DOWN
    if status is not None:
        return reason_for_status(status)
    return FailureReason.MODEL_FAILED


def _detail_types(body: Any) -> list[str]:
    """The ``type`` of each entry of a ``detail`` list (fal's validation and model errors)."""
    detail = body.get("detail") if isinstance(body, Mapping) else None
    if not isinstance(detail, list):
        return []
    return [str(item["type"]) for item in detail if isinstance(item, Mapping) and item.get("type")]


def error_type_of(response: httpx2.Response) -> str | None:
    """The most telling code of a fal error answer: a content-policy ``detail`` entry
    first (fal answers those with 422 too), then ``error_type``, then the header, then the
    first ``detail`` type."""
    body = json_or_none(response)
    types = _detail_types(body)
    if "content_policy_violation" in types:
        return "content_policy_violation"
    if isinstance(body, Mapping) and body.get("error_type"):
        return str(body["error_type"])
    header = response.headers.get("x-fal-error-type")
    if header:
        return header
    return types[0] if types else None


def usage_of(status: Mapping[str, Any]) -> Usage | None:
    """``metrics.inference_time`` (seconds of GPU time, may be null) of a finished request."""
    metrics = status.get("metrics")
    seconds = metrics.get("inference_time") if isinstance(metrics, Mapping) else None
    if not isinstance(seconds, int | float) or seconds < 0:
        return None
    return Usage(gpu_seconds=float(seconds))


def _seconds(value: float | None, default: int) -> int:
    return round(value) if value else default


class FalProvider(RemoteProvider):
    name = "fal"
    default_base_url = "https://queue.fal.run"
    tasks = IMAGE_TASKS | {Task.IMAGE_TO_VIDEO, Task.FIRST_LAST_TO_VIDEO}
    supports_webhooks = True
    max_references = 9
    upload_ttl = timedelta(days=7)
    options_model = FalOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = parse_options(self.name, FalOptions, self.ctx.settings.options)
        self.rest_url = self.options.rest_url.rstrip("/")
        self.jwks_url = self.options.jwks_url
        self._jwks: tuple[float, list[Ed25519PublicKey]] | None = None
        self._cdn_token: tuple[float, str, str] | None = None

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Key {self.api_key}"}

    def api_urls(self) -> list[str]:
        """fal's own APIs: the queue (status, result and cancel URLs come back on it), its
        documented backup host when the queue is fal's own, and the REST host that hands
        out storage tokens (``rest_url``; older clients used rest.alpha.fal.ai)."""
        urls = [self.base_url, self.rest_url]
        if self.base_url == self.default_base_url:
            urls.append(BACKUP_QUEUE_URL)
        return urls

    def error_message(self, response: httpx2.Response) -> str:
        body = json_or_none(response)
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, list):
            return "; ".join(
                f"{'.'.join(str(p) for p in d.get('loc', [])[1:]) or 'input'}: {d.get('msg')}"
                for d in detail
                if isinstance(d, dict)
            )
        return str(detail) if detail else super().error_message(response)

    def error_from_response(self, response: httpx2.Response) -> ProviderAPIError:
        error = super().error_from_response(response)
        # fal answers 504 with this header when the caller's own start deadline passed.
        if response.headers.get("x-fal-request-timeout-type") == "user":
            error.retryable = False
        error_type = error_type_of(response)
        if error_type is not None:
            error.code = error_type
            error.reason = reason_for_error_type(error_type, status=response.status_code)
            error.message = f"{error.message} ({error_type})"
        return error

    # -- submit ---------------------------------------------------------------------

    async def build_input(self, req: GenerationRequest, app: FalApp | None) -> dict[str, Any]:
        family = app.family if app else ("kling" if req.task.output_kind == "video" else "flux_t2i")
        body: dict[str, Any] = {"prompt": req.prompt}
        if req.seed is not None:
            body["seed"] = req.seed
        firsts = req.refs(RefRole.FIRST_FRAME) or req.refs(RefRole.INIT_IMAGE)
        lasts = req.refs(RefRole.LAST_FRAME)
        characters = req.refs(RefRole.CHARACTER) + req.refs(RefRole.STYLE)
        if family == "flux_general":
            init = (firsts or characters)[0]
            body |= {
                "image_url": await self.reference_url(init),
                "strength": req.extra.get("strength", 0.75),
                "image_size": image_size(req.width, req.height),
                "num_images": req.count,
                "output_format": "png",
                "ip_adapters": await self._ip_adapters(req, characters),
            }
            if req.steps:
                body["num_inference_steps"] = req.steps
            if req.guidance is not None:
                body["guidance_scale"] = req.guidance
        elif family in ("flux2_edit", "flux_t2i"):
            body |= {"image_size": image_size(req.width, req.height), "output_format": "png"}
            if family == "flux_t2i":
                body["num_images"] = req.count
            refs = firsts + characters
            if family == "flux2_edit" or refs:
                body["image_urls"] = [await self.reference_url(r) for r in refs]
        elif family in ("gpt_image", "kling_image") or family in ("gpt_image", "kling_image"):
            body |= {"num_images": req.count, "output_format": "png"}
            if family == "gpt_image":
                body["image_size"] = image_size(req.width, req.height)
                if "quality" in req.extra:
                    body["quality"] = req.extra["quality"]
            else:
                body["aspect_ratio"] = req.aspect or "16:9"
            refs = firsts + characters
            if refs:
                body["image_urls"] = [await self.reference_url(r) for r in refs]
        elif family == "nano_banana":
            body |= {
                "num_images": req.count,
                "output_format": "png",
                "aspect_ratio": req.aspect or "auto",
            }
            if req.resolution:
                body["resolution"] = req.resolution
            refs = firsts + characters
            if refs:
                body["image_urls"] = [await self.reference_url(r) for r in refs]
        else:
            body |= await self._video_input(family, req, firsts, lasts)
        if req.negative_prompt and family in ("kling", "wan", "veo", "flux_general"):
            body["negative_prompt"] = req.negative_prompt
        overrides: dict[str, Any] = req.extra.get("fal", {})
        return body | overrides

    async def _ip_adapters(self, req: GenerationRequest, refs: list[Any]) -> list[dict[str, Any]]:
        """One adapter per reference: its own scale (``extra.ip_adapter_scales``, one per
        reference, else ``ip_adapter_scale``) and the mask reference of the same name."""
        scales = req.extra.get("ip_adapter_scales") or []
        masks = {m.name: m for m in req.refs(RefRole.MASK) if m.name}
        adapters = []
        for index, ref in enumerate(refs):
            adapter: dict[str, Any] = {
                "path": "XLabs-AI/flux-ip-adapter",
                "image_encoder_path": "openai/clip-vit-large-patch14",
                "image_url": await self.reference_url(ref),
                "scale": scales[index]
                if index < len(scales)
                else req.extra.get("ip_adapter_scale", 0.7),
            }
            if ref.name in masks:
                adapter["mask_image_url"] = await self.reference_url(masks[ref.name])
            adapters.append(adapter)
        return adapters

    async def _video_input(
        self, family: str, req: GenerationRequest, firsts: list[Any], lasts: list[Any]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if req.task is Task.FIRST_LAST_TO_VIDEO and not (firsts and lasts):
            raise ProviderJobError(
                "first-last-to-video needs a first_frame and a last_frame reference",
                provider=self.name,
                reason=FailureReason.INPUT,
                code="missing_frames",
            )
        if family == "veo" and req.task is Task.FIRST_LAST_TO_VIDEO:
            body["first_frame_url"] = await self.reference_url(firsts[0])
            body["last_frame_url"] = await self.reference_url(lasts[0])
        elif firsts:
            body["image_url"] = await self.reference_url(firsts[0])
            # The end frame's field differs per app family.
            last_field = {"kling": "tail_image_url", "wan": "end_image_url"}.get(family)
            if lasts and last_field:
                body[last_field] = await self.reference_url(lasts[0])
        if family == "kling":
            body["duration"] = "10" if _seconds(req.duration, 5) > 5 else "5"
        elif family == "veo":
            allowed = (5, 6, 7, 8) if req.model_name.startswith("fal-ai/veo2") else (4, 6, 8)
            wanted = _seconds(req.duration, 8)
            body["duration"] = f"{min(allowed, key=lambda d: abs(d - wanted))}s"
            if req.audio is not None:  # unset: fal's default (audio on), as the catalog prices
                body["generate_audio"] = req.audio
            if req.resolution:
                body["resolution"] = req.resolution
            if req.aspect in ("16:9", "9:16"):
                body["aspect_ratio"] = req.aspect
        elif family == "sora":
            body["duration"] = str(
                min((4, 8, 12), key=lambda d: abs(d - _seconds(req.duration, 4)))
            )
            if req.resolution:
                body["resolution"] = req.resolution
        elif family == "wan":
            if req.resolution:
                body["resolution"] = req.resolution
            if req.duration:
                body["duration"] = "10" if req.duration > 5 else "5"
        return body

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        app_id = req.model_name
        body = await self.build_input(req, app_for(app_id))
        params = {"fal_webhook": webhook_url} if webhook_url else None
        response = await self.call("POST", app_id, json=body, params=params)
        data = response.json()
        return Handle(
            provider=self.name,
            request_id=data["request_id"],
            urls={k: data[k] for k in ("status_url", "response_url", "cancel_url")},
            data={"app_id": app_id},
        )

    def can_find_submitted(self, req: GenerationRequest) -> bool:
        return True  # the Platform API's request history per endpoint: fal_lookup.py

    async def find_submitted(
        self, req: GenerationRequest, *, job_id: str, since: float
    ) -> Handle | None:
        from storyreel.providers.fal_lookup import find_request

        return await find_request(self, req, since=since)

    # -- status, result, cancel ----------------------------------------------------------

    async def poll(self, handle: Handle) -> Status:
        response = await self.call("GET", handle.urls["status_url"], params={"logs": "1"})
        data = response.json()
        logs = tuple(str(entry.get("message", "")) for entry in (data.get("logs") or []))
        state = data.get("status")
        if state in _STATES:
            return Status(
                state=_STATES[state], logs=logs, queue_position=data.get("queue_position")
            )
        if state != "COMPLETED":
            raise ProviderAPIError(f"fal: unknown status {state!r}", provider=self.name)
        usage = usage_of(data)
        if data.get("error"):
            error_type = str(data.get("error_type") or "") or None
            reason = reason_for_error_type(error_type)
            return Status(
                state=JobState.CANCELED if reason is FailureReason.CANCELED else JobState.FAILED,
                logs=logs,
                message=f"{data['error']} ({error_type})" if error_type else str(data["error"]),
                error_reason=reason,
                error_code=error_type,
                usage=usage,
            )
        return Status(state=JobState.SUCCEEDED, progress=1.0, logs=logs, usage=usage)

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        response = await self.call("GET", handle.urls["response_url"])
        return outputs_of(response.json())

    async def cancel(self, handle: Handle) -> None:
        try:
            await self.call("PUT", handle.urls["cancel_url"])
        except ProviderAPIError as exc:
            if exc.status not in (400, 404):  # already completed / unknown: nothing to stop
                raise

    # -- uploads --------------------------------------------------------------------

    async def _token(self) -> tuple[str, str]:
        now = time.time()
        if self._cdn_token is None or self._cdn_token[0] <= now + 60:
            response = await self.call(
                "POST",
                f"{self.rest_url}/storage/auth/token",
                params={"storage_type": "fal-cdn-v3"},
                json={},
            )
            data = response.json()
            expires = _iso_seconds(data.get("expires_at")) or now + 3600
            self._cdn_token = (
                expires,
                f"{data.get('token_type', 'Bearer')} {data['token']}",
                data["base_url"],
            )
        return self._cdn_token[1], self._cdn_token[2]

    async def upload(self, data: bytes, mime: str) -> str:
        token, base = await self._token()
        # The CDN host comes from the token answer (v3.fal.media): the upload token may
        # travel to it, but never in clear text to somewhere that is not fal's API.
        if not (base.startswith("https://") or on_origin(base, self.api_origins)):
            raise ProviderAPIError(f"fal: refusing to upload to {base[:100]!r}", provider=self.name)
        response = await self.call(
            "POST",
            f"{base.rstrip('/')}/files/upload",
            auth=False,
            content=data,
            headers={"Authorization": token, "Content-Type": mime},
        )
        return str(response.json()["access_url"])

    # -- webhooks -------------------------------------------------------------------

    async def _keys(self, *, refresh: bool = False) -> list[Ed25519PublicKey]:
        # imported on use: every engine start loads this module, few receive webhooks
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        if refresh or self._jwks is None or self._jwks[0] < time.time():
            response = await self.call("GET", self.jwks_url, auth=False)
            keys = [
                Ed25519PublicKey.from_public_bytes(_b64url(k["x"]))
                for k in response.json().get("keys", [])
                if k.get("kty") == "OKP" and k.get("crv") == "Ed25519"
            ]
            self._jwks = (time.time() + JWKS_TTL, keys)
        return self._jwks[1]

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        h = {k.lower(): v for k, v in headers.items()}
        try:
            request_id = h["x-fal-webhook-request-id"]
            user_id = h["x-fal-webhook-user-id"]
            timestamp = h["x-fal-webhook-timestamp"]
            signature = bytes.fromhex(h["x-fal-webhook-signature"])
        except (KeyError, ValueError) as exc:
            raise WebhookRejected("fal webhook: missing or malformed signature headers") from exc
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > WEBHOOK_TOLERANCE:
            raise WebhookRejected("fal webhook: timestamp outside the 5 minute window")
        message = "\n".join(
            [request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]
        ).encode()
        if not await self._verify(signature, message):
            raise WebhookRejected("fal webhook: signature does not verify")
        payload = json.loads(body)
        state = JobState.SUCCEEDED if payload.get("status") == "OK" else JobState.FAILED
        return WebhookEvent(
            request_id=str(payload.get("request_id", request_id)),
            state=state,
            event_id=f"{request_id}:{timestamp}",
            payload=payload,
        )

    async def _verify(self, signature: bytes, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature

        for refresh in (False, True):  # a key we have not seen yet: fal rotated keys
            for key in await self._keys(refresh=refresh):
                try:
                    key.verify(signature, message)
                    return True
                except InvalidSignature:
                    continue
        return False


def outputs_of(payload: Mapping[str, Any]) -> list[RemoteArtifact]:
    """Files in a fal result: ``images[]`` for image apps, ``video`` for video apps."""
    files: list[Mapping[str, Any]] = list(payload.get("images") or [])
    if isinstance(payload.get("video"), Mapping):
        files.append(payload["video"])
    if isinstance(payload.get("image"), Mapping):
        files.append(payload["image"])
    artifacts = []
    for item in files:
        url = str(item["url"])
        mime = item.get("content_type") or mime_from_url(url, "image/png")
        artifacts.append(RemoteArtifact(mime=mime, url=url))
    return artifacts


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _iso_seconds(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def register_providers(register: Register) -> None:
    register(FalProvider)
