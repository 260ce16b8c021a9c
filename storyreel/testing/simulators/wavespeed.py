"""WaveSpeedAI's v3 API, simulated: ``POST /api/v3/{model-id}`` with Bearer auth, the
``{"code", "message", "data"}`` envelope everywhere, created -> processing -> completed
(or failed, still ``code: 200``), ``GET /api/v3/predictions/{id}`` and ``.../result``,
binary uploads, the webhook secret endpoint, and webhooks signed as WaveSpeed signs them
(``webhook-signature: v3,<hex HMAC-SHA256 of "{id}.{timestamp}.{body}">``).

Choices where WaveSpeed's docs are silent (written down in docs/providers/wavespeed.md):
error answers carry the HTTP status in ``code`` as well (400 invalid input, 401 bad key,
404 unknown model or prediction, 429 rate limited) with ``data: null``; the webhook secret
answer is ``data.secret``; an upload answers ``data.download_url`` like the documented
media upload; WaveSpeed has no cancel call, so none is simulated.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storyreel.ids import new_id
from storyreel.providers.wavespeed_models import MODELS, parse_size, validate_input

from .base import FileStore, OutputSpec, SimConfig, SimJob, Simulator
from .forms import form_fields
from .suite import register

_STATUS = {
    "queued": "created",
    "running": "processing",
    "succeeded": "completed",
    "failed": "failed",
    "canceled": "failed",
}


def _envelope(data: Any, code: int = 200, message: str = "success") -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": data}, status_code=code)


@register
class WaveSpeedSimulator(Simulator):
    name = "wavespeed"

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.secret = "whsec_" + secrets.token_hex(16)
        self.event_ids: dict[str, str] = {}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v3/media/upload/binary", self.upload, methods=["POST"]),
            Route("/api/v3/webhook/secret", self.webhook_secret),
            Route("/api/v3/predictions/{request_id}/result", self.prediction),
            Route("/api/v3/predictions/{request_id}", self.prediction),
            Route("/api/v3/{model:path}", self.submit, methods=["POST"]),
        ]

    def _unauthorized(self) -> JSONResponse:
        return _envelope(None, 401, "Unauthorized: invalid or missing API key")

    # -- predictions ------------------------------------------------------------------

    async def submit(self, request: Request) -> Response:
        raw = await self.record(request)
        if not self.authorized(request):
            return self._unauthorized()
        if self.take_429():
            return _envelope(None, 429, "Too many requests, please slow down")
        model_id = request.path_params["model"]
        model = MODELS.get(model_id)
        if model is None:
            return _envelope(None, 404, f"model {model_id} not found")
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _envelope(None, 400, "request body is not valid JSON")
        if not isinstance(body, dict):
            return _envelope(None, 400, "request body must be a JSON object")
        errors = validate_input(model, body)
        if errors:
            return _envelope(None, 400, "; ".join(errors))
        job = self.start_job(
            model_id, model.kind, body, webhook=request.query_params.get("webhook")
        )
        return _envelope(self.prediction_data(job))

    def prediction_data(self, job: SimJob, *, result_url: bool = False) -> dict[str, Any]:
        done = job.state == "succeeded"
        get = f"{self.mount_url()}/api/v3/predictions/{job.id}"
        error = job.error or ("the prediction was cancelled" if job.state == "canceled" else "")
        data: dict[str, Any] = {
            "id": job.id,
            "model": job.model,
            "input": job.body,
            "outputs": list(job.outputs) if done else [],
            "urls": {"get": f"{get}/result" if result_url else get},
            "has_nsfw_contents": [False] * len(job.outputs) if done else [],
            "status": _STATUS[job.state],
            "created_at": datetime.fromtimestamp(job.created, UTC).isoformat(),
            "error": error,
            "timings": {
                "inference": self.usage.get(
                    "inference", round(((job.finished or 0) - (job.started or 0)) * 1000)
                )
            }
            if job.done
            else {},
        }
        return data

    async def prediction(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request):
            return self._unauthorized()
        job = self.jobs.get(request.path_params["request_id"])
        if job is None:
            return _envelope(None, 404, "prediction not found")
        return _envelope(self.prediction_data(job))

    def output_spec(self, job: SimJob) -> OutputSpec:
        width, height = parse_size(job.body.get("size")) or (2048, 2048)
        count = int(job.body.get("max_images", 1)) if MODELS[job.model].sequential else 1
        duration = job.body.get("duration", 5)
        seconds = float(duration) if isinstance(duration, int) and duration > 0 else 5.0
        if job.kind == "video":
            width, height = (1280, 720) if job.body.get("aspect_ratio") != "9:16" else (720, 1280)
        return OutputSpec(
            prompt=str(job.body.get("prompt", "")),
            count=count,
            width=width,
            height=height,
            duration=min(seconds, 2.0),
        )

    # -- uploads ----------------------------------------------------------------------

    async def upload(self, request: Request) -> Response:
        data = await self.record(request, binary=True)
        if not self.authorized(request):
            return self._unauthorized()
        form = form_fields(request.headers.get("content-type", ""), data)
        if "file" not in form:
            return _envelope(None, 400, "file is required (multipart/form-data)")
        filename, content = form["file"].filename, form["file"].data
        self.uploads += 1
        ext = (filename or "upload.bin").rsplit(".", 1)[-1].lower()
        url = self.files.add(f"wavespeed-upload-{new_id().lower()}.{ext}", content)
        kind = "image" if ext in ("png", "jpg", "jpeg", "webp", "gif") else "file"
        return _envelope(
            {"type": kind, "download_url": url, "filename": filename, "size": len(content)}
        )

    # -- webhooks ---------------------------------------------------------------------

    async def webhook_secret(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request):
            return self._unauthorized()
        return _envelope({"secret": self.secret})

    def sign(self, webhook_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        key = self.secret.removeprefix("whsec_").encode()
        digest = hmac.new(key, f"{webhook_id}.{ts}.".encode() + body, hashlib.sha256)
        return {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": ts,
            "webhook-signature": f"v3,{digest.hexdigest()}",
        }

    def webhook_body(self, job: SimJob) -> bytes:
        return json.dumps(self.prediction_data(job, result_url=True)).encode()

    def _event_id(self, job: SimJob) -> str:
        return self.event_ids.setdefault(job.id, secrets.token_hex(12))

    def signed_webhook(
        self, request_id: str, *, timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        job = self.jobs[request_id]
        body = self.webhook_body(job)
        return self.sign(self._event_id(job), body, timestamp), body

    async def on_finished(self, job: SimJob) -> None:
        if job.webhook:
            body = self.webhook_body(job)
            event_id = self._event_id(job)
            self.send_later(self.deliver(job.webhook, body, lambda: self.sign(event_id, body)))
