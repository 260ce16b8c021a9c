"""Kie.ai's market API: Seedream 4.5 (text-to-image, edit) and Seedance 1.5 Pro through
``createTask`` -> ``recordInfo``, the file-stream upload API, and callbacks.

Wire facts (reference/providers-others.md E.2, Kie's get-task-detail, file upload and
webhook verification pages): submit is ``POST /api/v1/jobs/createTask`` with
``{"model", "callBackUrl", "input"}``; every answer is ``{"code", "msg", "data"}`` and
``code`` carries the error (200, 401, 402, 404, 422, 429, 455, 500, 501, 505) whatever
the HTTP status says; poll ``GET /api/v1/jobs/recordInfo?taskId=`` whose ``data.state`` is
waiting/queuing/generating/success/fail and whose ``resultJson`` is a JSON *string*. A
callback, when the account enabled its HMAC key, carries ``X-Webhook-Timestamp`` and
``X-Webhook-Signature = base64(HMAC-SHA256(taskId + "." + timestamp))``: the body itself
is not signed, so a callback is only ever a hint that makes the engine poll.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import httpx2

from storyreel.errors import (
    FailureReason,
    InputError,
    ProviderAPIError,
    QuotaError,
    WebhookRejected,
    reason_for_status,
    retryable_status,
)
from storyreel.media.mime import default_mime, mime_from_url
from storyreel.providers.options import ProviderOptions, parse_options
from storyreel.providers.registry import Register
from storyreel.providers.remote import RemoteProvider, json_or_none, parse_retry_after
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status, Usage, WebhookEvent
from storyreel.vocabulary import (
    IMAGE_TASKS,
    VIDEO_TASKS,
    GenerationRequest,
    RefRole,
    Task,
    aspect_for,
)

DEFAULT_UPLOAD_URL = "https://kieai.redpandaai.co"


class KieOptions(ProviderOptions):
    """``STORYREEL_PROVIDERS__KIE__OPTIONS__*``."""

    upload_url: str = DEFAULT_UPLOAD_URL
    """Kie's file-upload host (a different host from its API)."""
    webhook_hmac_key: str | None = None
    """Key that signs Kie's callbacks; unset: callbacks are not signature-checked."""


WEBHOOK_TOLERANCE = 300  # seconds; Kie names replay attacks but gives no window

SEEDREAM_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "2:3", "3:2", "21:9")
SEEDANCE_RATIOS = ("1:1", "21:9", "4:3", "3:4", "16:9", "9:16")
RESOLUTIONS = ("480p", "720p", "1080p")
QUALITIES = ("basic", "high")

#: Kie's "service unavailable" (maintenance): worth trying again, like a retryable status.
MAINTENANCE = 455
#: Kie's own ``code``s where they differ from what the HTTP status would mean: 455 is
#: "service unavailable" (maintenance), 501 "generation failed", 505 "feature disabled".
CODE_REASONS = {
    404: FailureReason.INPUT,
    455: FailureReason.PROVIDER_DOWN,
    501: FailureReason.MODEL_FAILED,
    505: FailureReason.INPUT,
}
_SAFETY_WORDS = ("sensitive", "nsfw", "content policy", "safety", "prohibited", "violat")


def reason_for_code(code: int | None, message: str = "") -> FailureReason:
    """A Kie ``code`` (envelope, HTTP status or a task's ``failCode``) as a reason; a
    sensitive-content refusal is told by its message, which is all Kie says about it."""
    lowered = message.lower()
    if any(word in lowered for word in _SAFETY_WORDS):
        return FailureReason.SAFETY
    if code in CODE_REASONS:
        return CODE_REASONS[code]
    if code is None:
        return FailureReason.MODEL_FAILED
    return reason_for_status(code)


def usage_of(record: Mapping[str, Any]) -> Usage:
    """``costTime`` (milliseconds Kie spent on the task) and the result URLs produced."""
    cost = record.get("costTime")
    seconds = cost / 1000 if isinstance(cost, int | float) and cost >= 0 else None
    count = None
    raw = record.get("resultJson")
    try:
        parsed = json.loads(raw) if isinstance(raw, str) and raw else None
    except json.JSONDecodeError:
        parsed = None
    if isinstance(parsed, Mapping) and isinstance(parsed.get("resultUrls"), list):
        count = len(parsed["resultUrls"]) or None
    return Usage(gpu_seconds=seconds, count=count)


@dataclass(frozen=True)
class KieModel:
    """What one Kie market model takes in ``input``."""

    kind: Literal["image", "video"]
    tasks: frozenset[Task]
    required: tuple[str, ...]
    urls_field: str | None = None  # the list of input image URLs
    max_urls: int = 0
    max_prompt: int = 3000
    enums: dict[str, tuple[Any, ...]] = field(default_factory=dict)


MODELS: dict[str, KieModel] = {
    "seedream/4.5-text-to-image": KieModel(
        "image",
        frozenset({Task.TEXT_TO_IMAGE}),
        ("prompt",),
        enums={"aspect_ratio": SEEDREAM_RATIOS, "quality": QUALITIES},
    ),
    "seedream/4.5-edit": KieModel(
        "image",
        frozenset({Task.IMAGE_TO_IMAGE, Task.REFERENCE_TO_IMAGE}),
        ("prompt", "image_urls"),
        urls_field="image_urls",
        max_urls=14,
        enums={"aspect_ratio": SEEDREAM_RATIOS, "quality": QUALITIES},
    ),
    "bytedance/seedance-1.5-pro": KieModel(
        "video",
        frozenset({Task.TEXT_TO_VIDEO, Task.IMAGE_TO_VIDEO, Task.FIRST_LAST_TO_VIDEO}),
        ("prompt",),
        urls_field="input_urls",
        max_urls=2,
        max_prompt=2500,
        enums={
            "aspect_ratio": SEEDANCE_RATIOS,
            "resolution": RESOLUTIONS,
            "duration": tuple(range(4, 13)),
            "fixed_lens": (True, False),
            "generate_audio": (True, False),
        },
    ),
}


def model_for(model_id: str) -> KieModel | None:
    return MODELS.get(model_id)


def validate_input(model: KieModel, data: Mapping[str, Any]) -> list[str]:
    """Kie-style 422 messages for what is wrong with ``input`` (empty: fine)."""
    errors = [f"{name} is required" for name in model.required if data.get(name) in (None, "", [])]
    prompt = data.get("prompt")
    if prompt is not None and (not isinstance(prompt, str) or len(prompt) > model.max_prompt):
        errors.append(f"prompt must be a string of at most {model.max_prompt} characters")
    if model.urls_field and model.urls_field in data:
        urls = data[model.urls_field]
        if not isinstance(urls, list) or not all(isinstance(u, str) and u for u in urls):
            errors.append(f"{model.urls_field} must be a list of image URLs")
        elif len(urls) > model.max_urls:
            errors.append(f"{model.urls_field} accepts at most {model.max_urls} images")
    for name, allowed in model.enums.items():
        value = data.get(name)
        # bool is an int: compare types too, so True never passes for a duration of 1.
        if name in data and not any(value == a and type(value) is type(a) for a in allowed):
            errors.append(f"{name} must be one of {', '.join(map(str, allowed))}")
    return errors


_STATES = {
    "waiting": JobState.QUEUED,
    "queuing": JobState.QUEUED,
    "generating": JobState.RUNNING,
    "success": JobState.SUCCEEDED,
    "fail": JobState.FAILED,
}


def _task_record(payload: Any) -> dict[str, Any]:
    """The task record inside a recordInfo answer or a callback body."""
    if isinstance(payload, dict):
        data = payload.get("data")
        if isinstance(data, dict):
            return data
        return payload
    return {}


class KieProvider(RemoteProvider):
    name = "kie"
    default_base_url = "https://api.kie.ai"
    tasks = IMAGE_TASKS | VIDEO_TASKS
    supports_webhooks = True
    max_references = 14
    # Kie's upload pages say both "deleted after 24 hours" and "after 3 days": the shorter.
    upload_ttl = timedelta(hours=24)
    options_model = KieOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = parse_options(self.name, KieOptions, self.ctx.settings.options)
        self.upload_url = options.upload_url.rstrip("/")
        self.hmac_key = options.webhook_hmac_key or None

    # -- errors -----------------------------------------------------------------------

    def error_message(self, response: httpx2.Response) -> str:
        body = json_or_none(response)
        if isinstance(body, dict) and body.get("msg"):
            return str(body["msg"])
        return super().error_message(response)

    def code_error(self, code: int, message: str, retry_after: float | None) -> ProviderAPIError:
        """Kie's ``code`` (in the body, or the HTTP status when the body has none)."""
        text = f"{self.name}: code {code}: {message}"
        if code == 402:
            return QuotaError(text, provider=self.name, status=code, code=str(code))
        return ProviderAPIError(
            text,
            provider=self.name,
            status=code,
            retryable=code == MAINTENANCE or retryable_status(code),
            retry_after=retry_after,
            reason=reason_for_code(code, message),
            code=str(code),
        )

    def error_from_response(self, response: httpx2.Response) -> ProviderAPIError:
        body = json_or_none(response)
        code = body.get("code") if isinstance(body, dict) else None
        if not isinstance(code, int) or code == 200:
            code = response.status_code
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return self.code_error(code, self.error_message(response), retry_after)

    def envelope(self, response: httpx2.Response) -> dict[str, Any]:
        """``data`` of a ``{"code", "msg", "data"}`` answer; raises for any other code."""
        body = json_or_none(response)
        if not isinstance(body, dict):
            # The call may have gone through: status None keeps a submit from repeating.
            raise ProviderAPIError(
                f"{self.name}: answer is not JSON", provider=self.name, retryable=True
            )
        if body.get("code") != 200:
            raise self.error_from_response(response)
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProviderAPIError(
                f"{self.name}: answer without data", provider=self.name, retryable=True
            )
        return data

    # -- submit ---------------------------------------------------------------------

    def check(self, req: GenerationRequest) -> None:
        super().check(req)
        if req.count > 1:
            raise InputError("kie's Seedream 4.5 and Seedance models make one output per task")
        model = model_for(req.model_name)
        if model is None:
            return  # a market model we have no table entry for: Kie itself will judge
        if req.task not in model.tasks:
            can = ", ".join(sorted(model.tasks))
            raise InputError(f"kie model {req.model_name!r} does {can}, not {req.task}")
        if len(req.references) > model.max_urls:
            raise InputError(f"kie model {req.model_name!r} takes at most {model.max_urls} images")
        if "image_urls" in model.required and not req.references:
            raise InputError(f"{req.task} on kie needs at least one reference image")
        if req.task in (Task.IMAGE_TO_VIDEO, Task.FIRST_LAST_TO_VIDEO) and not (
            req.refs(RefRole.FIRST_FRAME) or req.refs(RefRole.INIT_IMAGE)
        ):
            raise InputError(f"{req.task} on kie needs a first_frame reference")
        if req.task is Task.FIRST_LAST_TO_VIDEO and not req.refs(RefRole.LAST_FRAME):
            raise InputError("first-last-to-video on kie needs a last_frame reference")

    async def build_input(self, req: GenerationRequest, kind: str) -> dict[str, Any]:
        data: dict[str, Any] = {"prompt": req.prompt}
        if kind == "video":
            firsts = req.refs(RefRole.FIRST_FRAME) or req.refs(RefRole.INIT_IMAGE)
            refs = firsts[:1] + req.refs(RefRole.LAST_FRAME)[:1] if firsts else []
            if refs and req.task is not Task.TEXT_TO_VIDEO:
                data["input_urls"] = [await self.reference_url(ref) for ref in refs]
            ratio = aspect_for(req, SEEDANCE_RATIOS)
            if ratio:
                data["aspect_ratio"] = ratio
            if req.resolution:
                data["resolution"] = req.resolution.lower()
            seconds = round(req.duration) if req.duration else 5
            data["duration"] = min(12, max(4, seconds))
            if req.audio is not None:
                data["generate_audio"] = req.audio
        else:
            refs = (
                req.refs(RefRole.INIT_IMAGE)
                + req.refs(RefRole.FIRST_FRAME)
                + req.refs(RefRole.CHARACTER)
                + req.refs(RefRole.STYLE)
            )
            if refs:
                data["image_urls"] = [await self.reference_url(ref) for ref in refs]
            data["aspect_ratio"] = aspect_for(req, SEEDREAM_RATIOS) or "1:1"
            wants_4k = (req.resolution or "").lower() in ("4k", "high")
            data["quality"] = "high" if wants_4k else "basic"
        overrides: dict[str, Any] = req.extra.get("kie", {})
        return data | overrides

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        model_id = req.model_name
        model = model_for(model_id)
        kind = model.kind if model else req.task.output_kind
        body: dict[str, Any] = {"model": model_id, "input": await self.build_input(req, kind)}
        if webhook_url:
            body["callBackUrl"] = webhook_url
        data = self.envelope(await self.call("POST", "api/v1/jobs/createTask", json=body))
        return Handle(
            provider=self.name,
            request_id=str(data["taskId"]),
            data={"model": model_id, "kind": kind},
        )

    # -- status, result ---------------------------------------------------------------

    async def _record(self, handle: Handle) -> dict[str, Any]:
        response = await self.call(
            "GET", "api/v1/jobs/recordInfo", params={"taskId": handle.request_id}
        )
        return self.envelope(response)

    async def poll(self, handle: Handle) -> Status:
        record = await self._record(handle)
        state = _STATES.get(str(record.get("state")))
        if state is None:
            raise ProviderAPIError(
                f"kie: unknown task state {record.get('state')!r}", provider=self.name
            )
        if state is JobState.FAILED:
            message = str(record.get("failMsg") or "the task failed")
            code = str(record.get("failCode") or "") or None
            number = int(code) if code is not None and code.isdigit() else None
            return Status(
                state=state,
                message=f"{message} (failCode {code})" if code else message,
                error_reason=reason_for_code(number, message),
                error_code=code,
                usage=usage_of(record),
            )
        if state is JobState.SUCCEEDED:
            return Status(state=state, progress=1.0, usage=usage_of(record))
        return Status(state=state)

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        record = await self._record(handle)
        raw = record.get("resultJson") or "{}"
        try:
            parsed = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError as exc:
            raise ProviderAPIError(
                "kie: resultJson is not JSON", provider=self.name, retryable=True
            ) from exc
        urls = parsed.get("resultUrls") if isinstance(parsed, dict) else None
        kind = str(handle.data.get("kind", "image"))
        return [
            RemoteArtifact(mime=mime_from_url(str(u), default_mime(kind)), url=str(u))
            for u in urls or []
            if u
        ]

    # -- uploads --------------------------------------------------------------------

    async def upload(self, data: bytes, mime: str) -> str:
        ext = mime.rsplit("/", 1)[-1].replace("jpeg", "jpg")
        # Same name for the same bytes: Kie overwrites a same-named file, harmlessly here.
        name = f"{hashlib.sha256(data).hexdigest()[:32]}.{ext}"
        response = await self.call(
            "POST",
            f"{self.upload_url}/api/file-stream-upload",
            files={"file": (name, data, mime)},
            data={"uploadPath": "storyreel", "fileName": name},
        )
        return str(self.envelope(response)["downloadUrl"])

    # -- callbacks ------------------------------------------------------------------

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise WebhookRejected("kie callback: body is not JSON") from exc
        record = _task_record(payload)
        task_id = record.get("taskId") or record.get("task_id")
        if not task_id:
            raise WebhookRejected("kie callback: no taskId in the body")
        h = {k.lower(): v for k, v in headers.items()}
        timestamp = h.get("x-webhook-timestamp")
        if self.hmac_key is not None:
            self._verify(str(task_id), timestamp, h.get("x-webhook-signature"))
        return WebhookEvent(
            request_id=str(task_id),
            state=_STATES.get(str(record.get("state"))),
            event_id=f"{task_id}:{timestamp}" if timestamp else None,
            payload=payload if isinstance(payload, dict) else {},
        )

    def _verify(self, task_id: str, timestamp: str | None, signature: str | None) -> None:
        assert self.hmac_key is not None
        if not timestamp or not signature:
            raise WebhookRejected("kie callback: missing X-Webhook-Timestamp/Signature")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > WEBHOOK_TOLERANCE:
            raise WebhookRejected("kie callback: timestamp outside the 5 minute window")
        digest = hmac.new(
            self.hmac_key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256
        ).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode(), signature.strip()):
            raise WebhookRejected("kie callback: signature does not verify")


def register_providers(register: Register) -> None:
    register(KieProvider)
