"""WaveSpeedAI: Seedream 4.5 (single, edit, sequential series) and Seedance 1.5 Pro over
WaveSpeed's v3 prediction API, binary uploads, and HMAC-signed webhooks.

Wire facts (reference/providers-others.md E.1, and WaveSpeed's own pages on webhooks,
webhook verification and media upload): submit is ``POST /api/v3/{model-id}`` with the
model input as the whole body and ``?webhook=<url>``; every answer is an envelope
``{"code", "message", "data"}`` and a failed prediction still answers ``code: 200`` with
``data.status: "failed"`` and ``data.error``; poll ``GET /api/v3/predictions/{id}``;
webhooks carry ``webhook-id``/``webhook-timestamp``/``webhook-signature: v3,<hex>`` where
the hex is HMAC-SHA256 of ``{id}.{timestamp}.{raw body}`` under the account's webhook
secret (``GET /api/v3/webhook/secret``, ``whsec_`` prefix removed). The model table and
input validation live in ``wavespeed_models``, shared with the simulator, so what the
adapter sends and what the fake accepts cannot drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx2

from storyreel.errors import (
    FailureReason,
    InputError,
    ProviderAPIError,
    QuotaError,
    WebhookRejected,
    retryable_status,
)
from storyreel.media.mime import default_mime, mime_from_url
from storyreel.providers.options import ProviderOptions, parse_options
from storyreel.providers.registry import Register
from storyreel.providers.remote import RemoteProvider, json_or_none
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status, Usage, WebhookEvent
from storyreel.providers.wavespeed_models import (
    ASPECT_RATIOS,
    DEFAULT_DURATION,
    EDIT_TASKS,
    MAX_SERIES,
    is_int,
    model_for,
    seedream_size,
)
from storyreel.vocabulary import (
    IMAGE_TASKS,
    VIDEO_TASKS,
    GenerationRequest,
    Reference,
    RefRole,
    Task,
)

WEBHOOK_TOLERANCE = 300  # seconds: WaveSpeed's documented WebhookMaxAgeSeconds
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


class WaveSpeedOptions(ProviderOptions):
    """``STORYREEL_PROVIDERS__WAVESPEED__OPTIONS__*``."""

    webhook_secret: str | None = None
    """The webhook signing secret (whsec_...); default: fetched from the API."""


SECRET_REFRESH = 60.0  # seconds: a forged webhook may not make us refetch the secret often


# -- validation, shared with the simulator ------------------------------------------------


_STATES = {
    "created": JobState.QUEUED,
    "processing": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
}
_SAFETY_WORDS = ("nsfw", "sensitive", "safety", "content policy", "moderation")


_TIMEOUT_WORDS = ("timeout", "timed out")


def failure_of(message: str) -> tuple[FailureReason, str]:
    """A failed prediction's reason and code. WaveSpeed's ``data.error`` is free text (a
    sensitive-content refusal reads "... flagged as sensitive ..."), so its words decide."""
    lowered = message.lower()
    if any(word in lowered for word in _SAFETY_WORDS):
        return FailureReason.SAFETY, "sensitive_content"
    if any(word in lowered for word in _TIMEOUT_WORDS):
        return FailureReason.TIMEOUT, "timeout"
    return FailureReason.MODEL_FAILED, "failed"


def usage_of(data: Mapping[str, Any]) -> Usage:
    """``timings.inference`` (milliseconds of inference) and the outputs produced."""
    timings = data.get("timings")
    inference = timings.get("inference") if isinstance(timings, Mapping) else None
    seconds = inference / 1000 if isinstance(inference, int | float) and inference >= 0 else None
    return Usage(
        gpu_seconds=seconds, count=len([u for u in data.get("outputs") or [] if u]) or None
    )


class WaveSpeedProvider(RemoteProvider):
    name = "wavespeed"
    default_base_url = "https://api.wavespeed.ai"
    tasks = IMAGE_TASKS | VIDEO_TASKS
    supports_webhooks = True
    max_references = 10
    # Uploads are documented to last 7 days; a day keeps a wide margin at no real cost.
    upload_ttl = timedelta(days=1)
    options_model = WaveSpeedOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = parse_options(self.name, WaveSpeedOptions, self.ctx.settings.options)
        configured = options.webhook_secret
        self._secret: str | None = configured.removeprefix(SECRET_PREFIX) if configured else None
        self._secret_configured = configured is not None
        self._secret_fetched = 0.0

    # -- errors -----------------------------------------------------------------------

    def error_message(self, response: httpx2.Response) -> str:
        body = json_or_none(response)
        if isinstance(body, dict):
            data = body.get("data")
            if isinstance(data, dict) and data.get("error"):
                return str(data["error"])
            if body.get("message"):
                return str(body["message"])
        return super().error_message(response)

    def code_error(self, code: int, message: str, retry_after: float | None) -> ProviderAPIError:
        """The error for a non-200 ``code``, whether in the HTTP status or the envelope."""
        text = f"{self.name}: HTTP {code}: {message}"
        if code == 402:
            return QuotaError(text, provider=self.name, status=code, code=str(code))
        lowered = message.lower()
        reason = None
        if 400 <= code < 500 and any(word in lowered for word in _SAFETY_WORDS):
            reason = FailureReason.SAFETY  # a sensitive prompt refused at submit
        elif code in (400, 413, 422):
            reason = FailureReason.INPUT
        return ProviderAPIError(
            text,
            provider=self.name,
            status=code,
            retryable=retryable_status(code),
            retry_after=retry_after,
            reason=reason,
            code=str(code),
        )

    def error_from_response(self, response: httpx2.Response) -> ProviderAPIError:
        base = super().error_from_response(response)
        return self.code_error(response.status_code, self.error_message(response), base.retry_after)

    def envelope(self, response: httpx2.Response) -> dict[str, Any]:
        """``data`` of a ``{"code", "message", "data"}`` answer; a non-200 ``code`` inside an
        HTTP 200 is an error like the same HTTP status."""
        body = json_or_none(response)
        if not isinstance(body, dict):
            # The call may have gone through: status None keeps a submit from repeating.
            raise ProviderAPIError(
                f"{self.name}: answer is not a JSON envelope", provider=self.name, retryable=True
            )
        code = body.get("code", 200)
        if code != 200:
            raw = body.get("retry_after")
            retry_after = float(raw) if isinstance(raw, int | float) else None
            status = int(code) if is_int(code) else 500
            raise self.code_error(status, self.error_message(response), retry_after)
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProviderAPIError(
                f"{self.name}: envelope without data", provider=self.name, retryable=True
            )
        return data

    # -- submit ---------------------------------------------------------------------

    def check(self, req: GenerationRequest) -> None:
        super().check(req)
        model = model_for(req.model_name)
        if model is None:
            return  # a route we have no table entry for: WaveSpeed itself will judge
        if req.task not in model.tasks:
            can = ", ".join(sorted(model.tasks))
            raise InputError(f"wavespeed model {req.model_name!r} does {can}, not {req.task}")
        if req.count > 1 and not model.sequential:
            raise InputError(
                f"wavespeed model {req.model_name!r} makes one image; use a /sequential "
                "route for a series"
            )
        if req.count > MAX_SERIES:
            raise InputError(f"wavespeed sequential models make at most {MAX_SERIES} images")
        if model.family == "seedream" and len(req.references) > model.max_inputs:
            raise InputError(
                f"wavespeed model {req.model_name!r} takes at most {model.max_inputs} images"
            )
        if req.task in EDIT_TASKS and not req.references:
            raise InputError(f"{req.task} on wavespeed needs at least one reference image")
        if req.task in (Task.IMAGE_TO_VIDEO, Task.FIRST_LAST_TO_VIDEO) and not _first_frame(req):
            raise InputError(f"{req.task} on wavespeed needs a first_frame reference")
        if req.task is Task.FIRST_LAST_TO_VIDEO and not req.refs(RefRole.LAST_FRAME):
            raise InputError("first-last-to-video on wavespeed needs a last_frame reference")

    async def build_input(self, req: GenerationRequest, kind: str) -> dict[str, Any]:
        if kind == "video":
            body = await self._seedance_input(req)
        else:
            body = await self._seedream_input(req)
        overrides: dict[str, Any] = req.extra.get("wavespeed", {})
        return body | overrides

    async def _seedream_input(self, req: GenerationRequest) -> dict[str, Any]:
        model = model_for(req.model_name)
        prompt = req.prompt
        body: dict[str, Any] = {"enable_base64_output": False}
        if (model is not None and model.sequential) or (model is None and req.count > 1):
            body["max_images"] = req.count
            if req.count > 1:
                # WaveSpeed asks for the series length in the prompt as well.
                prompt = f"{prompt.rstrip()} Generate a series of {req.count} images."
        body["prompt"] = prompt
        size = seedream_size(req.width, req.height, req.aspect)
        if size:
            body["size"] = size
        refs = (
            req.refs(RefRole.INIT_IMAGE)
            + req.refs(RefRole.FIRST_FRAME)
            + req.refs(RefRole.CHARACTER)
            + req.refs(RefRole.STYLE)
        )
        if refs:
            body["images"] = [await self.reference_url(ref) for ref in refs]
        return body

    async def _seedance_input(self, req: GenerationRequest) -> dict[str, Any]:
        body: dict[str, Any] = {"prompt": req.prompt}
        first = _first_frame(req)
        if first is not None and req.task is not Task.TEXT_TO_VIDEO:
            body["image"] = await self.reference_url(first)
            lasts = req.refs(RefRole.LAST_FRAME)
            if lasts:
                body["last_image"] = await self.reference_url(lasts[0])
        seconds = round(req.duration) if req.duration else DEFAULT_DURATION
        body["duration"] = min(12, max(4, seconds))
        if req.resolution:
            body["resolution"] = req.resolution.lower()
        if req.aspect in ASPECT_RATIOS:
            body["aspect_ratio"] = req.aspect
        if req.audio is not None:
            body["generate_audio"] = req.audio
        if req.seed is not None:
            body["seed"] = req.seed
        return body

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        model_id = req.model_name
        model = model_for(model_id)
        kind = model.kind if model else ("video" if req.task.output_kind == "video" else "image")
        body = await self.build_input(req, kind)
        params = {"webhook": webhook_url} if webhook_url else None
        response = await self.call("POST", f"api/v3/{model_id}", json=body, params=params)
        data = self.envelope(response)
        urls = data.get("urls") or {}
        get_url = urls.get("get") if isinstance(urls, dict) else None
        return Handle(
            provider=self.name,
            request_id=str(data["id"]),
            urls={"get": str(get_url or f"api/v3/predictions/{data['id']}")},
            data={"model": model_id, "kind": kind},
        )

    # -- status, result ---------------------------------------------------------------

    async def _prediction(self, handle: Handle) -> dict[str, Any]:
        url = handle.urls.get("get") or f"api/v3/predictions/{handle.request_id}"
        return self.envelope(await self.call("GET", url))

    async def poll(self, handle: Handle) -> Status:
        data = await self._prediction(handle)
        status = data.get("status")
        if status not in _STATES:
            raise ProviderAPIError(f"wavespeed: unknown status {status!r}", provider=self.name)
        state = _STATES[status]
        if state is JobState.FAILED:
            message = str(data.get("error") or "the prediction failed")
            reason, code = failure_of(message)
            return Status(
                state=state,
                message=f"{message} ({code})",
                error_reason=reason,
                error_code=code,
                usage=usage_of(data),
            )
        if state is JobState.SUCCEEDED:
            return Status(state=state, progress=1.0, usage=usage_of(data))
        return Status(state=state)

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        data = await self._prediction(handle)
        kind = str(handle.data.get("kind", "image"))
        return [
            RemoteArtifact(mime=mime_from_url(str(url), default_mime(kind)), url=str(url))
            for url in data.get("outputs") or []
            if url
        ]

    # -- uploads --------------------------------------------------------------------

    async def upload(self, data: bytes, mime: str) -> str:
        ext = mime.rsplit("/", 1)[-1].replace("jpeg", "jpg")
        name = f"{hashlib.sha256(data).hexdigest()[:16]}.{ext}"
        response = await self.call(
            "POST", "api/v3/media/upload/binary", files={"file": (name, data, mime)}
        )
        return str(self.envelope(response)["download_url"])

    # -- webhooks -------------------------------------------------------------------

    async def webhook_secret(self, *, refresh: bool = False) -> str:
        """The HMAC key: the configured one, or the account's, fetched once from the API."""
        stale = time.monotonic() - self._secret_fetched > SECRET_REFRESH
        if self._secret is None or (refresh and stale and not self._secret_configured):
            self._secret_fetched = time.monotonic()
            data = self.envelope(await self.call("GET", "api/v3/webhook/secret"))
            secret = data.get("secret") or data.get("webhook_secret")
            if not isinstance(secret, str) or not secret:
                raise ProviderAPIError(
                    "wavespeed: no secret in the webhook secret answer", provider=self.name
                )
            self._secret = secret.removeprefix(SECRET_PREFIX)
        return self._secret

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        h = {k.lower(): v for k, v in headers.items()}
        webhook_id = h.get("webhook-id")
        timestamp = h.get("webhook-timestamp", "")
        signatures = [
            part.split(",", 1)[1]
            for part in h.get("webhook-signature", "").split()
            if part.startswith("v3,")
        ]
        if not webhook_id or not signatures:
            raise WebhookRejected("wavespeed webhook: missing signature headers")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > WEBHOOK_TOLERANCE:
            raise WebhookRejected("wavespeed webhook: timestamp outside the 5 minute window")
        signed = f"{webhook_id}.{timestamp}.".encode() + body
        verified = False
        for refresh in (False, True):  # the secret may have been regenerated
            key = (await self.webhook_secret(refresh=refresh)).encode()
            expected = hmac.new(key, signed, hashlib.sha256).hexdigest()
            if any(hmac.compare_digest(expected, s) for s in signatures):
                verified = True
                break
            if self._secret_configured:
                break
        if not verified:
            raise WebhookRejected("wavespeed webhook: signature does not verify")
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise WebhookRejected("wavespeed webhook: body is not JSON") from exc
        if not isinstance(payload, dict) or "id" not in payload:
            raise WebhookRejected("wavespeed webhook: no prediction id in the body")
        return WebhookEvent(
            request_id=str(payload["id"]),
            state=_STATES.get(str(payload.get("status"))),
            event_id=webhook_id,
            payload=payload,
        )


def _first_frame(req: GenerationRequest) -> Reference | None:
    refs = req.refs(RefRole.FIRST_FRAME) or req.refs(RefRole.INIT_IMAGE)
    return refs[0] if refs else None


def register_providers(register: Register) -> None:
    register(WaveSpeedProvider)
