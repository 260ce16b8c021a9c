"""Kie.ai's market API, simulated: ``createTask`` and ``recordInfo`` with Bearer auth,
``{"code", "msg", "data"}`` answers whose ``code`` carries the error while the HTTP status
stays 200, waiting -> generating -> success (or fail, with ``failCode``/``failMsg``),
``resultJson`` as a JSON string, the file-stream upload API, and callbacks signed as Kie
signs them when the account has a webhook HMAC key (this simulator always has one).

Choices where Kie's docs are silent (written down in docs/providers/kie.md): errors answer
HTTP 200 with the code in the body (the harder case for a client; HTTP 4xx is handled by
the adapter as well); an unknown model answers 422; the callback body is the recordInfo
answer itself (``{"code", "msg", "data": <task record>}``, as third-party handlers
observe it); Kie has no cancel call, so none is simulated.
"""

from __future__ import annotations

import base64
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
from storyreel.providers.kie import MODELS, validate_input

from .base import FileStore, OutputSpec, SimConfig, SimJob, Simulator
from .forms import form_fields
from .suite import register

_STATE = {
    "queued": "waiting",
    "running": "generating",
    "succeeded": "success",
    "failed": "fail",
    "canceled": "fail",
}
_HEIGHTS = {"480p": 480, "720p": 720, "1080p": 1080}


def _answer(data: Any, code: int = 200, msg: str = "success") -> JSONResponse:
    """Kie's envelope; the HTTP status stays 200 whatever ``code`` says."""
    return JSONResponse({"code": code, "msg": msg, "data": data})


def _ms(moment: float | None) -> int | None:
    return round(moment * 1000) if moment is not None else None


def _ratio(value: Any) -> float:
    if isinstance(value, str) and value.count(":") == 1:
        left, right = value.split(":")
        if left.isdigit() and right.isdigit() and int(right):
            return int(left) / int(right)
    return 1.0


@register
class KieSimulator(Simulator):
    name = "kie"

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.hmac_key = secrets.token_hex(16)

    def client_options(self) -> dict[str, str]:
        return {"upload_url": self.mount_url(), "webhook_hmac_key": self.hmac_key}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v1/jobs/createTask", self.create_task, methods=["POST"]),
            Route("/api/v1/jobs/recordInfo", self.record_info),
            Route("/api/file-stream-upload", self.upload, methods=["POST"]),
        ]

    def _unauthorized(self) -> JSONResponse:
        return _answer(None, 401, "You do not have access permissions")

    # -- tasks ------------------------------------------------------------------------

    async def create_task(self, request: Request) -> Response:
        raw = await self.record(request)
        if not self.authorized(request):
            return self._unauthorized()
        if self.take_429():
            return _answer(None, 429, "Rate limited: too many requests, please slow down")
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _answer(None, 422, "request body is not valid JSON")
        if not isinstance(body, dict):
            return _answer(None, 422, "request body must be a JSON object")
        model = MODELS.get(str(body.get("model")))
        if model is None:
            return _answer(None, 422, f"model {body.get('model')!r} is not supported")
        data = body.get("input")
        if not isinstance(data, dict):
            return _answer(None, 422, "input is required and must be an object")
        errors = validate_input(model, data)
        callback = body.get("callBackUrl")
        if callback is not None and not (
            isinstance(callback, str) and callback.startswith(("http://", "https://"))
        ):
            errors.append("callBackUrl must be an http(s) URL")
        if errors:
            return _answer(None, 422, "; ".join(errors))
        job = self.start_job(
            str(body["model"]),
            model.kind,
            data,
            webhook=callback,
            job_id=f"task_{new_id().lower()}",
        )
        job.extra["param"] = json.dumps(body)
        return _answer({"taskId": job.id})

    def task_record(self, job: SimJob) -> dict[str, Any]:
        failed = job.state in ("failed", "canceled")
        result = json.dumps({"resultUrls": list(job.outputs)}) if job.state == "succeeded" else ""
        return {
            "taskId": job.id,
            "model": job.model,
            "state": _STATE[job.state],
            "param": job.extra.get("param", ""),
            "resultJson": result,
            "failCode": self.fail_code_of(job, "500") if failed else "",
            "failMsg": (job.error or "task cancelled") if failed else "",
            "costTime": self.usage.get("costTime", _ms((job.finished or 0) - (job.started or 0)))
            if job.done
            else None,
            "completeTime": _ms(job.finished),
            "createTime": _ms(job.created),
            "updateTime": _ms(job.finished or job.started or job.created),
        }

    async def record_info(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request):
            return self._unauthorized()
        task_id = request.query_params.get("taskId")
        if not task_id:
            return _answer(None, 422, "taskId is required")
        job = self.jobs.get(task_id)
        if job is None:
            return _answer(None, 404, "task not found")
        return _answer(self.task_record(job))

    def output_spec(self, job: SimJob) -> OutputSpec:
        ratio = _ratio(job.body.get("aspect_ratio"))
        if job.kind == "video":
            height = _HEIGHTS.get(str(job.body.get("resolution")), 720)
            duration = job.body.get("duration", 5)
            return OutputSpec(
                prompt=str(job.body.get("prompt", "")),
                width=round(height * ratio),
                height=height,
                duration=min(float(duration) if isinstance(duration, int) else 5.0, 2.0),
            )
        side = 4096 if job.body.get("quality") == "high" else 2048
        width, height = (side, round(side / ratio)) if ratio >= 1 else (round(side * ratio), side)
        return OutputSpec(prompt=str(job.body.get("prompt", "")), width=width, height=height)

    # -- uploads ----------------------------------------------------------------------

    async def upload(self, request: Request) -> Response:
        data = await self.record(request, binary=True)
        if not self.authorized(request):
            return self._unauthorized()
        form = form_fields(request.headers.get("content-type", ""), data)
        if "file" not in form:
            return _answer(None, 400, "file is required (multipart/form-data)")
        filename, content = form["file"].filename, form["file"].data
        name = (form["fileName"].text if "fileName" in form else "") or filename or "upload.bin"
        folder = (form["uploadPath"].text if "uploadPath" in form else "") or "uploads"
        self.uploads += 1
        url = self.files.add(f"kie-upload-{new_id().lower()}-{name}", content)
        return JSONResponse(
            {
                "success": True,
                "code": 200,
                "msg": "File uploaded successfully",
                "data": {
                    "fileName": name,
                    "filePath": f"{folder}/{name}",
                    "downloadUrl": url,
                    "fileSize": len(content),
                    "mimeType": _part_mime(name),
                    "uploadedAt": datetime.now(UTC).isoformat(),
                },
            }
        )

    # -- callbacks --------------------------------------------------------------------

    def sign(self, task_id: str, timestamp: int | None = None) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        digest = hmac.new(self.hmac_key.encode(), f"{task_id}.{ts}".encode(), hashlib.sha256)
        return {
            "content-type": "application/json",
            "x-webhook-timestamp": ts,
            "x-webhook-signature": base64.b64encode(digest.digest()).decode(),
        }

    def callback_body(self, job: SimJob) -> bytes:
        record = self.task_record(job)
        if job.state == "succeeded":
            return json.dumps({"code": 200, "msg": "success", "data": record}).encode()
        return json.dumps({"code": 501, "msg": record["failMsg"], "data": record}).encode()

    def signed_webhook(
        self, request_id: str, *, timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        return self.sign(request_id, timestamp), self.callback_body(self.jobs[request_id])

    async def on_finished(self, job: SimJob) -> None:
        if job.webhook:
            body = self.callback_body(job)
            self.send_later(self.deliver(job.webhook, body, lambda: self.sign(job.id)))


def _part_mime(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower()
    return {
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "webp": "image/webp",
    }.get(ext, "application/octet-stream")
