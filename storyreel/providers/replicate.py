"""Replicate over its HTTP API: predictions (create, get, cancel), Files API uploads and
Standard-Webhooks-signed webhooks.

Wire facts (reference/providers-fal-replicate.md, part B): official models are created
with ``POST /v1/models/{owner}/{name}/predictions``, community models with
``POST /v1/predictions`` and a ``version``; statuses are starting / processing / succeeded
/ failed / canceled / aborted; errors are RFC 7807 problem+json with ``detail``; auth is
``Authorization: Bearer <token>``. A create sends ``Prefer: wait=1`` so a fast model's
output arrives with the create and the first poll costs nothing; after such a blocking
create any status but ``starting`` that carries output means done (the quirk the official
client works around).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx2
import standardwebhooks
from pydantic import Field, field_validator
from standardwebhooks.webhooks import EmptyWebhookSecretError, WebhookVerificationError

from storyreel.errors import (
    ConfigError,
    InputError,
    ProviderAPIError,
    WebhookRejected,
)
from storyreel.media.mime import mime_from_url, suffix_for
from storyreel.providers.options import ProviderOptions, parse_options
from storyreel.providers.registry import Register
from storyreel.providers.remote import RemoteProvider, json_or_none
from storyreel.providers.replicate_models import (
    FLUX_ASPECTS,
    SEEDANCE_ASPECTS,
    ReplicateModel,
    model_for,
    split_ref,
)
from storyreel.providers.replicate_predictions import STATES, early_outcome, output_uris, status_of
from storyreel.providers.types import Handle, RemoteArtifact, Status, WebhookEvent
from storyreel.vocabulary import (
    GenerationRequest,
    Reference,
    RefRole,
    Task,
    aspect_for,
    parse_aspect,
)

WEBHOOK_TOLERANCE = 300  # seconds; the official client checks none unless asked to
SECRET_REFRESH = 60.0  # at most one secret refetch a minute after a failed verification

_DURATION = re.compile(r"^(?:\d+h)?(?:\d+m)?(?:\d+s)?$")


class ReplicateOptions(ProviderOptions):
    """``STORYREEL_PROVIDERS__REPLICATE__OPTIONS__*``."""

    prefer_wait: int = Field(
        default=1, ge=0, le=60, description="Seconds a create call may hold for the output."
    )
    cancel_after: str | None = Field(
        default=None,
        pattern=_DURATION.pattern,
        description="Replicate's own deadline per prediction: 30s, 10m or 1h30m.",
    )
    webhook_secret: str | None = Field(
        default=None, description="whsec_... signing secret; default: fetched from the API."
    )

    @field_validator("cancel_after", "webhook_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return value or None


class ReplicateProvider(RemoteProvider):
    name = "replicate"
    default_base_url = "https://api.replicate.com"
    tasks = frozenset(
        {
            Task.TEXT_TO_IMAGE,
            Task.IMAGE_TO_IMAGE,
            Task.INPAINT,
            Task.IMAGE_TO_VIDEO,
            Task.FIRST_LAST_TO_VIDEO,
            Task.TEXT_TO_VIDEO,
        }
    )
    supports_webhooks = True
    max_references = 2
    upload_ttl = timedelta(hours=24)  # Files API uploads expire a day after creation
    options_model = ReplicateOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = parse_options(self.name, ReplicateOptions, self.ctx.settings.options)
        self.prefer_wait = options.prefer_wait
        self.cancel_after = options.cancel_after
        configured = options.webhook_secret
        self._secret: bytes | None = _secret_bytes(configured) if configured else None
        self._secret_fixed = configured is not None
        self._secret_fetched_at = 0.0

    # -- errors ---------------------------------------------------------------------

    def error_message(self, response: httpx2.Response) -> str:
        body = json_or_none(response)
        if not isinstance(body, dict):
            return super().error_message(response)
        parts = [str(body.get("detail") or body.get("title") or "").strip()]
        for entry in body.get("invalid_fields") or []:
            if isinstance(entry, dict) and entry.get("description"):
                text = f"{entry.get('field', 'input')}: {entry['description']}"
                if text not in parts[0]:
                    parts.append(text)
        message = "; ".join(p for p in parts if p)
        return message or super().error_message(response)

    def error_from_response(self, response: httpx2.Response) -> ProviderAPIError:
        error = super().error_from_response(response)
        # Retry-After is honoured when sent; otherwise a 429 with the bucket empty says
        # when it refills in ratelimit-reset (seconds).
        if response.status_code == 429 and error.retry_after is None:
            reset = response.headers.get("ratelimit-reset")
            if reset is not None and reset.strip().isdigit():
                error.retry_after = float(reset)
        return error

    # -- request mapping ------------------------------------------------------------

    def check(self, req: GenerationRequest) -> None:
        super().check(req)
        model = model_for(split_ref(req.model_name)[0])
        if model is None:
            return
        if req.task not in model.tasks:
            can = ", ".join(sorted(model.tasks))
            raise InputError(f"replicate:{model.ref} cannot do {req.task}; it can do: {can}")
        if req.count > model.max_outputs:
            raise InputError(
                f"replicate:{model.ref} makes at most {model.max_outputs} output(s) per job, "
                f"asked for {req.count}"
            )
        if req.task is Task.IMAGE_TO_IMAGE and not req.references:
            raise InputError("image-to-image needs a reference image")
        if model.family == "lama" and not (_source(req) and req.refs(RefRole.MASK)):
            raise InputError("allenhooo/lama needs an init_image and a mask reference")
        if model.family == "hailuo" and not _first(req):
            raise InputError("minimax/hailuo-2.3-fast needs a first_frame reference")
        if req.task is Task.FIRST_LAST_TO_VIDEO and not (
            _first(req) and req.refs(RefRole.LAST_FRAME)
        ):
            raise InputError("first-last-to-video needs a first_frame and a last_frame reference")
        if model.family in ("hailuo", "seedance") and req.refs(RefRole.LAST_FRAME):
            raise InputError(f"replicate:{model.ref} takes no last frame")
        if model.family == "hailuo" and req.resolution == "1080p" and _secs(req.duration, 6) > 6:
            raise InputError("minimax/hailuo-2.3-fast makes 10 s videos at 768p only")

    async def _url(self, ref: Reference | None) -> str | None:
        return await self.reference_url(ref) if ref is not None else None

    async def build_input(
        self, req: GenerationRequest, model: ReplicateModel | None
    ) -> dict[str, Any]:
        """The ``input`` object for ``model`` (B11), then ``extra["replicate"]`` on top."""
        body: dict[str, Any] = {"prompt": req.prompt} if req.prompt else {}
        if req.seed is not None:
            body["seed"] = req.seed
        if model is None:  # a model not in the table: the common field names
            if req.references:
                body["image"] = await self.reference_url(req.references[0])
        elif model.family == "lama":
            body = {
                "image": await self._url(_source(req)),
                "mask": await self._url(_first_of(req, RefRole.MASK)),
            }
        elif model.kind == "image":
            body |= await self._image_input(req, model)
        else:
            body |= await self._video_input(req, model)
        overrides: dict[str, Any] = req.extra.get("replicate", {})
        return body | overrides

    async def _image_input(self, req: GenerationRequest, model: ReplicateModel) -> dict[str, Any]:
        body: dict[str, Any] = {"output_format": "png"}
        if model.family in ("flux_schnell", "flux_dev"):
            body["num_outputs"] = req.count
            if aspect := aspect_for(req, FLUX_ASPECTS):
                body["aspect_ratio"] = aspect
            if req.steps:
                body["num_inference_steps"] = min(
                    req.steps, int(model.ranges["num_inference_steps"][1])
                )
        if model.family == "flux_dev":
            image = _source(req) or _first_of(req, RefRole.CHARACTER, RefRole.STYLE)
            if image is not None:
                body["image"] = await self.reference_url(image)
                body["prompt_strength"] = float(req.extra.get("strength", 0.8))
            if req.guidance is not None:
                body["guidance"] = min(req.guidance, 10.0)
        elif model.family == "flux_pro":
            if req.width and req.height:
                body |= {
                    "aspect_ratio": "custom",
                    "width": _multiple(req.width, 32, 256, 1440),
                    "height": _multiple(req.height, 32, 256, 1440),
                }
            elif aspect := aspect_for(req, FLUX_ASPECTS):
                body["aspect_ratio"] = aspect
        elif model.family == "z_image":
            defaults = model.defaults
            width, height = _size(req, defaults["width"], defaults["height"])
            body |= {
                "width": _multiple(width, 16, 64, 2048),
                "height": _multiple(height, 16, 64, 2048),
                "num_inference_steps": req.steps or defaults["num_inference_steps"],
                "guidance_scale": defaults["guidance_scale"]
                if req.guidance is None
                else req.guidance,
            }
        return body

    async def _video_input(self, req: GenerationRequest, model: ReplicateModel) -> dict[str, Any]:
        defaults = model.defaults
        seconds = _secs(req.duration, defaults["duration"])
        resolution = req.resolution or defaults["resolution"]
        first = _first(req) if req.task is not Task.TEXT_TO_VIDEO else None
        body: dict[str, Any] = {"resolution": resolution}
        if model.family == "hailuo":
            body["first_frame_image"] = await self._url(first)
            # 10 s exists at 768p only; 1080p makes 6 s.
            body["duration"] = 6 if resolution == "1080p" or seconds <= 8 else 10
        elif model.family == "seedance":
            body |= {"duration": max(2, min(12, seconds)), "fps": 24}
            if first is not None:
                body["image"] = await self.reference_url(first)
            elif aspect := aspect_for(req, SEEDANCE_ASPECTS):  # ignored when image is given
                body["aspect_ratio"] = aspect
        elif model.family == "veo":
            audio = req.audio if req.audio is not None else defaults["generate_audio"]
            body |= {
                "duration": min((4, 6, 8), key=lambda d: abs(d - seconds)),
                "generate_audio": audio,
            }
            if first is not None:
                body["image"] = await self.reference_url(first)
            if (last := _first_of(req, RefRole.LAST_FRAME)) is not None:
                body["last_frame"] = await self.reference_url(last)
            if req.aspect in ("16:9", "9:16"):
                body["aspect_ratio"] = req.aspect
            if req.negative_prompt:
                body["negative_prompt"] = req.negative_prompt
        return body

    # -- submit ---------------------------------------------------------------------

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        ref, version = split_ref(req.model_name)
        model = model_for(ref)
        version = version or (model.version if model else None)
        body: dict[str, Any] = {"input": await self.build_input(req, model)}
        if webhook_url:
            body |= {"webhook": webhook_url, "webhook_events_filter": ["completed"]}
        if version:
            path = "/v1/predictions"
            body["version"] = version
        else:
            owner, _, name = ref.partition("/")
            path = f"/v1/models/{owner}/{name}/predictions"
        headers = {"Prefer": f"wait={self.prefer_wait}"} if self.prefer_wait > 0 else {}
        if self.cancel_after:
            headers["Cancel-After"] = self.cancel_after
        response = await self.call("POST", path, json=body, headers=headers)
        prediction = response.json()
        urls = prediction.get("urls") or {}
        settled = early_outcome(prediction, blocking=bool(headers))
        return Handle(
            provider=self.name,
            request_id=str(prediction["id"]),
            urls={k: str(urls[k]) for k in ("get", "cancel", "web") if urls.get(k)},
            data={"model": ref, **settled},
            ready_at=time.time() if settled else None,
        )

    def can_find_submitted(self, req: GenerationRequest) -> bool:
        return True  # GET /v1/predictions lists every prediction: replicate_lookup.py

    async def find_submitted(
        self, req: GenerationRequest, *, job_id: str, since: float
    ) -> Handle | None:
        from storyreel.providers.replicate_lookup import find_prediction

        return await find_prediction(self, req, job_id=job_id, since=since)

    # -- status, result, cancel -----------------------------------------------------

    async def _prediction(self, handle: Handle) -> dict[str, Any]:
        # Built from base_url like the official client, never from urls.get: the bearer
        # token only ever goes to the configured host.
        response = await self.call("GET", f"/v1/predictions/{handle.request_id}")
        data = response.json()
        if not isinstance(data, dict):
            raise ProviderAPIError("replicate: prediction is not an object", provider=self.name)
        return data

    async def poll(self, handle: Handle) -> Status:
        if "status" in handle.data:  # settled by the blocking create
            return status_of(handle.data)
        return status_of(await self._prediction(handle))

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        output = handle.data.get("output")
        if output is None:
            prediction = await self._prediction(handle)
            if prediction.get("data_removed"):
                raise ProviderAPIError(
                    "replicate: the outputs were already deleted (kept about an hour)",
                    provider=self.name,
                )
            output = prediction.get("output")
        model = model_for(str(handle.data.get("model", "")))
        default = "video/mp4" if model is not None and model.kind == "video" else "image/png"
        return self.artifacts(handle.request_id, output, default_mime=default)

    def artifacts(
        self, request_id: str, output: Any, *, default_mime: str = "image/png"
    ) -> list[RemoteArtifact]:
        """Outputs are one URI or a list of them; a data URI (sync mode may send those)
        is written to scratch so the engine never downloads it."""
        found: list[RemoteArtifact] = []
        for index, uri in enumerate(output_uris(output)):
            if uri.startswith("data:"):
                header, _, payload = uri.partition(",")
                mime = header[5:].split(";", 1)[0] or "application/octet-stream"
                suffix = suffix_for(mime)
                path = self.scratch_path(f"{request_id}-{index}", suffix)
                path.write_bytes(base64.b64decode(payload))
                found.append(RemoteArtifact(mime=mime, path=path))
            else:
                found.append(RemoteArtifact(mime=mime_from_url(uri, default_mime), url=uri))
        return found

    async def cancel(self, handle: Handle) -> None:
        try:
            await self.call("POST", f"/v1/predictions/{handle.request_id}/cancel")
        except ProviderAPIError as exc:
            if exc.status != 404:  # unknown prediction: nothing to stop
                raise

    # -- uploads --------------------------------------------------------------------

    async def upload(self, data: bytes, mime: str) -> str:
        """``POST /v1/files`` (multipart); the file's ``urls.get`` goes into the input."""
        suffix = suffix_for(mime)
        name = f"{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
        response = await self.call(
            "POST",
            "/v1/files",
            files={"content": (name, data, mime)},
            data={"filename": name, "type": mime},
        )
        return str(response.json()["urls"]["get"])

    # -- webhooks -------------------------------------------------------------------

    async def _fetch_secret(self) -> bytes:
        response = await self.call("GET", "/v1/webhooks/default/secret")
        self._secret = _secret_bytes(str(response.json()["key"]))
        self._secret_fetched_at = time.monotonic()
        return self._secret

    async def _verified(self, headers: dict[str, str], body: bytes) -> bool:
        def matches(key: bytes) -> bool:
            try:
                standardwebhooks.Webhook(key).verify(body, headers, json_parse=False)
            except (WebhookVerificationError, EmptyWebhookSecretError, ValueError):
                return False  # ValueError: a body that is not UTF-8, a garbled signature
            return True

        key = self._secret if self._secret is not None else await self._fetch_secret()
        if matches(key):
            return True
        # The account's secret may have been rotated: fetch it again, at most once a minute
        # so forged deliveries cannot turn into a stream of API calls.
        if self._secret_fixed or time.monotonic() - self._secret_fetched_at < SECRET_REFRESH:
            return False
        fresh = await self._fetch_secret()
        return fresh != key and matches(fresh)

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """Standard Webhooks, verified by the ``standardwebhooks`` library: HMAC-SHA256 over
        ``{id}.{timestamp}.{body}`` keyed by the base64 part of ``whsec_...``, any
        ``v1,<b64>`` entry may match; timestamps more than 5 minutes off are refused as
        replays. Checked here first: the headers are there and the timestamp is in the
        window (so a stale replay never costs a secret refetch), and malformed signature
        entries are dropped rather than let the library trip over them."""
        h = {k.lower(): v for k, v in headers.items()}
        msg_id, timestamp = h.get("webhook-id", ""), h.get("webhook-timestamp", "")
        signature = " ".join(
            entry for entry in h.get("webhook-signature", "").split() if entry.count(",") == 1
        )
        if not (msg_id and timestamp and signature):
            raise WebhookRejected("replicate webhook: missing signature headers")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > WEBHOOK_TOLERANCE:
            raise WebhookRejected("replicate webhook: timestamp outside the 5 minute window")
        wire = {
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": signature,
        }
        if not await self._verified(wire, body):
            raise WebhookRejected("replicate webhook: signature does not verify")
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise WebhookRejected("replicate webhook: body is not JSON") from exc
        if not isinstance(payload, dict) or "id" not in payload:
            raise WebhookRejected("replicate webhook: body is not a prediction")
        state = STATES.get(str(payload.get("status")))
        return WebhookEvent(
            request_id=str(payload["id"]),
            state=state if state is not None and state.terminal else None,
            event_id=msg_id,
            payload=payload,
        )


# -- helpers ----------------------------------------------------------------------------


def _secret_bytes(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("the replicate webhook secret is not whsec_<base64>") from exc


def _first_of(req: GenerationRequest, *roles: RefRole) -> Reference | None:
    for role in roles:
        if refs := req.refs(role):
            return refs[0]
    return None


def _source(req: GenerationRequest) -> Reference | None:
    """The image a model edits: init_image, else a first frame."""
    return _first_of(req, RefRole.INIT_IMAGE, RefRole.FIRST_FRAME)


def _first(req: GenerationRequest) -> Reference | None:
    """The first frame of a video: first_frame, else init_image, else a character."""
    return _first_of(req, RefRole.FIRST_FRAME, RefRole.INIT_IMAGE, RefRole.CHARACTER)


def _secs(value: float | None, default: int) -> int:
    return round(value) if value else default


def _multiple(value: int, step: int, low: int, high: int) -> int:
    return max(low, min(high, round(value / step) * step))


def _size(req: GenerationRequest, width: int, height: int) -> tuple[int, int]:
    if req.width and req.height:
        return req.width, req.height
    if ratio := parse_aspect(req.aspect):
        a, b = ratio
        side = math.sqrt(width * height / (a * b))
        return round(a * side), round(b * side)
    return width, height


def register_providers(register: Register) -> None:
    register(ReplicateProvider)
