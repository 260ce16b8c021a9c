"""fal.ai's queue API, simulated: the same paths, ``Authorization: Key``, 422 ``detail``
lists, IN_QUEUE -> IN_PROGRESS -> COMPLETED (with ``error``/``error_type`` on failure),
result bodies without an envelope, cancel, the CDN upload flow, a JWKS, and webhooks signed
with Ed25519 exactly as fal signs them.

Choices where fal's docs are silent (written down in docs/providers.md): a result fetched
before completion answers 400 ``{"detail": "Request is still in progress"}``; cancel answers
202 CANCELLATION_REQUESTED, 400 ALREADY_COMPLETED or 404 NOT_FOUND; a canceled request
reports COMPLETED with ``error_type: "request_cancelled"``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storyreel.ids import new_id
from storyreel.providers.fal_apps import APPS, validate_input

from .base import FileStore, OutputSpec, SimConfig, SimJob, Simulator
from .suite import register

USER_ID = "sim-user"


def _json(data: Any, status: int = 200, request_id: str | None = None) -> JSONResponse:
    headers = {"x-fal-request-id": request_id} if request_id else None
    return JSONResponse(data, status_code=status, headers=headers)


@register
class FalSimulator(Simulator):
    name = "fal"

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.signing_key = Ed25519PrivateKey.generate()
        self.tokens: set[str] = set()

    def client_options(self) -> dict[str, str]:
        return {
            "rest_url": self.mount_url(),
            "jwks_url": f"{self.mount_url()}/.well-known/jwks.json",
            "platform_url": self.mount_url(),
        }

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/.well-known/jwks.json", self.jwks),
            Route("/v1/models/requests/by-endpoint", self.requests_by_endpoint),
            Route("/storage/auth/token", self.cdn_token, methods=["POST"]),
            Route("/files/upload", self.cdn_upload, methods=["POST"]),
            Route("/{owner}/{alias}/requests/{request_id}/status", self.status),
            Route(
                "/{owner}/{alias}/requests/{request_id}/cancel", self.cancel_route, methods=["PUT"]
            ),
            Route("/{owner}/{alias}/requests/{request_id}", self.result),
            Route("/{app_id:path}", self.submit, methods=["POST"]),
        ]

    def _unauthorized(self) -> JSONResponse:
        return _json({"detail": "Unauthorized"}, 401)

    def _urls(self, job: SimJob) -> dict[str, str]:
        owner, alias = job.model.split("/")[:2]
        base = f"{self.mount_url()}/{owner}/{alias}/requests/{job.id}"
        return {
            "response_url": base,
            "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel",
        }

    def _job(self, request: Request) -> SimJob | None:
        job = self.jobs.get(request.path_params["request_id"])
        owner_alias = f"{request.path_params['owner']}/{request.path_params['alias']}"
        if job is None or job.model.split("/")[:2] != owner_alias.split("/"):
            return None
        return job

    # -- queue ------------------------------------------------------------------------

    async def submit(self, request: Request) -> Response:
        raw = await self.record(request)
        if not self.authorized(request, "Key"):
            return self._unauthorized()
        if self.take_429():
            return _json({"detail": "Too many requests, slow down"}, 429)
        app_id = request.path_params["app_id"]
        app = APPS.get(app_id)
        if app is None:
            return _json({"detail": f"Application '{app_id}' not found"}, 404)
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return _json({"detail": "Request body is not valid JSON"}, 400)
        if not isinstance(body, dict):
            return _json({"detail": "Request body must be a JSON object"}, 422)
        errors = validate_input(app, body)
        if errors:
            return _json({"detail": errors}, 422)
        job = self.start_job(
            app_id, app.kind, body, webhook=request.query_params.get("fal_webhook")
        )
        queued = sum(1 for j in self.jobs.values() if j.state == "queued") - 1
        return _json(
            {
                "status": "IN_QUEUE",
                "request_id": job.id,
                "gateway_request_id": job.id,
                "queue_position": max(0, queued),
                **self._urls(job),
            },
            request_id=job.id,
        )

    def status_body(self, job: SimJob, logs: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"request_id": job.id, **self._urls(job)}
        entries = (
            [
                {
                    "message": m,
                    "level": "INFO",
                    "source": "USER",
                    "timestamp": datetime.now(UTC).isoformat(),
                }
                for m in job.logs
            ]
            if logs
            else None
        )
        if job.state == "queued":
            ahead = [
                j for j in self.jobs.values() if j.state == "queued" and j.created < job.created
            ]
            return body | {"status": "IN_QUEUE", "queue_position": len(ahead), "logs": None}
        if job.state == "running":
            return body | {"status": "IN_PROGRESS", "logs": entries}
        body |= {
            "status": "COMPLETED",
            "logs": entries,
            "metrics": {"inference_time": self.inference_time(job)},
        }
        if job.state == "failed":
            body |= {
                "error": job.error,
                "error_type": self.fail_code_of(job, "runner_disconnected"),
            }
        elif job.state == "canceled":
            body |= {"error": "Request was cancelled", "error_type": "request_cancelled"}
        return body

    def inference_time(self, job: SimJob) -> float:
        """GPU seconds fal reports: the job's own run time unless ``usage`` overrides it."""
        configured = self.usage.get("inference_time")
        if isinstance(configured, int | float):
            return float(configured)
        return round((job.finished or 0) - (job.started or 0), 3)

    async def status(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request, "Key"):
            return self._unauthorized()
        job = self._job(request)
        if job is None:
            return _json({"detail": "Request not found"}, 404)
        logs = request.query_params.get("logs", "0").lower() in ("1", "true")
        return _json(self.status_body(job, logs), 200 if job.done else 202, request_id=job.id)

    def result_body(self, job: SimJob) -> dict[str, Any]:
        if job.kind == "video":
            url = job.outputs[0]
            return {
                "video": {
                    "url": url,
                    "content_type": "video/mp4",
                    "file_name": url.rsplit("/", 1)[-1],
                }
            }
        spec = self.output_spec(job)
        images = [
            {
                "url": url,
                "content_type": "image/png",
                "file_name": url.rsplit("/", 1)[-1],
                "width": spec.width,
                "height": spec.height,
            }
            for url in job.outputs
        ]
        if APPS[job.model].family == "nano_banana":
            return {"images": images, "description": ""}
        return {
            "images": images,
            "seed": job.body.get("seed", 0),
            "prompt": job.body.get("prompt"),
            "has_nsfw_concepts": [False] * len(images),
            "timings": {"inference": job.latency},
        }

    async def result(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request, "Key"):
            return self._unauthorized()
        job = self._job(request)
        if job is None:
            return _json({"detail": "Request not found"}, 404)
        if not job.done:
            return _json({"detail": "Request is still in progress"}, 400, request_id=job.id)
        if job.state != "succeeded":
            detail = [
                {
                    "loc": ["body"],
                    "msg": job.error or "Request was cancelled",
                    "type": self.fail_code_of(job, "model_error"),
                }
            ]
            return _json({"detail": detail}, 422, request_id=job.id)
        return _json(self.result_body(job), request_id=job.id)

    async def cancel_route(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request, "Key"):
            return self._unauthorized()
        job = self._job(request)
        if job is None:
            return _json({"status": "NOT_FOUND"}, 404)
        if not self.cancel(job):
            return _json({"status": "ALREADY_COMPLETED"}, 400)
        await self.on_finished(job)
        return _json({"status": "CANCELLATION_REQUESTED"}, 202)

    def output_spec(self, job: SimJob) -> OutputSpec:
        size = job.body.get("image_size")
        width, height = (size["width"], size["height"]) if isinstance(size, dict) else (1024, 768)
        duration = str(job.body.get("duration", "5")).rstrip("s")
        return OutputSpec(
            prompt=str(job.body.get("prompt", "")),
            count=int(job.body.get("num_images", 1)),
            width=width,
            height=height,
            duration=min(float(duration) if duration.isdigit() else 5.0, 2.0),
        )

    # -- webhooks ---------------------------------------------------------------------

    def sign(self, request_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        message = "\n".join([request_id, USER_ID, ts, hashlib.sha256(body).hexdigest()]).encode()
        return {
            "content-type": "application/json",
            "x-fal-webhook-request-id": request_id,
            "x-fal-webhook-user-id": USER_ID,
            "x-fal-webhook-timestamp": ts,
            "x-fal-webhook-signature": self.signing_key.sign(message).hex(),
        }

    def webhook_body(self, job: SimJob) -> bytes:
        ok = job.state == "succeeded"
        payload = (
            self.result_body(job)
            if ok
            else {
                "detail": [
                    {"loc": ["body"], "msg": job.error or "cancelled", "type": "model_error"}
                ]
            }
        )
        return json.dumps(
            {
                "request_id": job.id,
                "gateway_request_id": job.id,
                "status": "OK" if ok else "ERROR",
                "error": None if ok else "Invalid status code: 422",
                "payload": payload,
            }
        ).encode()

    def signed_webhook(
        self, request_id: str, *, timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        body = self.webhook_body(self.jobs[request_id])
        return self.sign(request_id, body, timestamp), body

    async def on_finished(self, job: SimJob) -> None:
        if job.webhook:
            body = self.webhook_body(job)
            self.send_later(self.deliver(job.webhook, body, lambda: self.sign(job.id, body)))

    # -- CDN and keys ------------------------------------------------------------------

    async def jwks(self, request: Request) -> Response:
        raw = self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        return _json({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "sim-1"}]})

    async def cdn_token(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request, "Key"):
            return self._unauthorized()
        token = new_id()
        self.tokens.add(token)
        expires = datetime.now(UTC) + timedelta(hours=1)
        return _json(
            {
                "token": token,
                "token_type": "Bearer",
                "base_url": self.mount_url(),
                "expires_at": expires.isoformat(),
            }
        )

    async def cdn_upload(self, request: Request) -> Response:
        data = await self.record(request, binary=True)
        auth = request.headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self.tokens:
            return _json({"detail": "Invalid token"}, 401)
        self.uploads += 1
        ext = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(
            request.headers.get("content-type", ""), "bin"
        )
        url = self.files.add(f"fal-upload-{new_id().lower()}.{ext}", data)
        return _json({"access_url": url})

    # -- platform API: request history -------------------------------------------------

    def history_item(self, job: SimJob, payloads: bool) -> dict[str, Any]:
        """One entry of ``GET /v1/models/requests/by-endpoint``, the documented fields."""
        ended = job.finished if job.done else None
        code = None if ended is None else 200 if job.state == "succeeded" else 500
        item: dict[str, Any] = {
            "request_id": job.id,
            "endpoint_id": job.model,
            "sent_at": _iso(job.created),
            "started_at": _iso(job.started) if job.started else None,
            "ended_at": _iso(ended) if ended else None,
            "status_code": code,
            "duration": round(ended - job.created, 3) if ended else None,
        }
        if payloads:
            output = self.result_body(job) if job.state == "succeeded" else None
            item |= {"json_input": job.body, "json_output": output}
        return item

    async def requests_by_endpoint(self, request: Request) -> Response:
        """Filters by endpoint(s), ``sent_at`` in [start, end) (start defaults to 24 hours
        ago), ``request_id`` and ``status``; newest end first with requests still in
        flight (``ended_at: null``) ahead, which fal does not document [I]; the cursor is the
        base64 page number."""
        await self.record(request)
        if not self.authorized(request, "Key"):
            return self._unauthorized()
        query = request.query_params
        endpoints = {e for raw in query.getlist("endpoint_id") for e in raw.split(",") if e}
        if not endpoints:
            return _json({"detail": "endpoint_id is required"}, 422)
        limit = int(query.get("limit", "50")) if query.get("limit", "50").isdigit() else 0
        if not 1 <= limit <= 100:
            return _json({"detail": "limit must be between 1 and 100"}, 422)
        start = _time(query.get("start")) or time.time() - 86400
        end = _time(query.get("end")) or float("inf")
        wanted = query.get("request_id")
        status = query.get("status")
        jobs = [
            j
            for j in self.jobs.values()
            if j.model in endpoints
            and start <= j.created < end
            and (wanted is None or j.id == wanted)
            and (status is None or _outcome(j) == status)
        ]
        jobs.sort(key=lambda j: j.finished if j.done and j.finished else float("inf"))
        jobs.reverse()
        cursor = query.get("cursor")
        page = int(base64.b64decode(cursor).decode()) if cursor else 1
        chunk = jobs[(page - 1) * limit : page * limit]
        more = page * limit < len(jobs)
        payloads = "payloads" in query.get("expand", "").split(",")
        return _json(
            {
                "items": [self.history_item(j, payloads) for j in chunk],
                "next_cursor": base64.b64encode(str(page + 1).encode()).decode() if more else None,
                "has_more": more,
            }
        )


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


def _time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _outcome(job: SimJob) -> str | None:
    if not job.done:
        return None
    return "success" if job.state == "succeeded" else "error"
