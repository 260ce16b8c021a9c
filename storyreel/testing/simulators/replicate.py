"""Replicate's HTTP API, simulated: the three create endpoints (201, ``Prefer: wait``
blocking, ``Cancel-After`` deadlines), get / cancel / paginated list, the Files API
(multipart upload, 24 h expiry), RFC 7807 problem bodies, ``ratelimit-*`` headers, and
webhooks signed with the Standard Webhooks scheme under the account's default secret.

Behaviour copied from recorded traffic: a blocking create that finished in time answers
``processing`` while already carrying the output, and one that ran out of time answers
``starting`` whatever the real state; only the final webhook is retried; an hour after
completion ``output`` is null and ``data_removed`` true. Choices where Replicate's docs are
silent are listed in docs/providers/replicate.md. Auth, problem bodies and the Files API
are shared from ``replicate_api``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import math
import re
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx2
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from storyreel.providers.replicate_models import (
    MODELS,
    VERSION_ID,
    VERSIONS,
    ReplicateModel,
    split_ref,
    validate_input,
)

from .base import FileStore, OutputSpec, SimConfig, SimJob
from .replicate_api import ReplicateApi, iso, new_id, parse_iso
from .suite import register

EVENTS = ("start", "output", "logs", "completed")
DEFAULT_EVENTS = frozenset({"output", "completed"})  # "new outputs or finished"
_CANCEL_AFTER = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
#: Picks the model and version a create runs (and its deployment), or answers an error.
Resolver = Callable[[dict[str, Any]], "tuple[ReplicateModel, str, str | None] | Response"]
_RESOLUTION_HEIGHT = {"480p": 480, "720p": 720, "768p": 768, "1080p": 1080}


def parse_cancel_after(value: str) -> float | None:
    """Seconds in a ``Cancel-After`` duration (``30s``, ``5m``, ``1h30m45s``); None if bad."""
    match = _CANCEL_AFTER.match(value.strip())
    if not value.strip() or match is None:
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    return float(total) if total > 0 else None


def _prefer_wait(header: str | None) -> int | None:
    """Seconds asked for by ``Prefer: wait`` / ``wait=N`` (1-60), None when absent."""
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key.strip().lower() == "wait":
            value = value.strip()
            return max(1, min(60, int(value))) if value.isdigit() else 60
    return None


def _dims(ratio: str, area: int) -> tuple[int, int]:
    a, b = (int(p) for p in ratio.split(":"))
    side = math.sqrt(area / (a * b))
    return round(a * side), round(b * side)


@register
class ReplicateSimulator(ReplicateApi):
    name = "replicate"
    page_size = 100

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        #: Echo ``webhook`` in prediction objects. The SDK's Prediction type has no such
        #: field, so off by default; on, it models an API that does echo it.
        self.echo_webhook = False
        self.webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        #: ``owner/name`` of a deployment -> the model it runs (tests add their own).
        self.deployments: dict[str, str] = {}
        #: GETs of a prediction to answer 503 (exercises client retries).
        self.burst_503 = 0
        #: Answer a blocking create that finished in time with ``processing`` + output,
        #: as recorded traffic shows; False answers ``succeeded``.
        self.sync_processing_quirk = True

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/predictions", self.create_by_version, methods=["POST"]),
            Route("/v1/predictions", self.list_predictions, methods=["GET"]),
            Route("/v1/predictions/{id}", self.get_prediction, methods=["GET"]),
            Route("/v1/predictions/{id}/cancel", self.cancel_prediction, methods=["POST"]),
            Route("/v1/models/{owner}/{name}/predictions", self.create_by_model, methods=["POST"]),
            Route(
                "/v1/deployments/{owner}/{name}/predictions",
                self.create_by_deployment,
                methods=["POST"],
            ),
            *self.file_routes(),
            Route("/v1/webhooks/default/secret", self.default_secret, methods=["GET"]),
        ]

    # -- the prediction object ------------------------------------------------------------

    def _urls(self, job: SimJob) -> dict[str, str]:
        base = f"{self.mount_url()}/v1/predictions/{job.id}"
        return {
            "get": base,
            "cancel": f"{base}/cancel",
            "web": f"https://replicate.com/p/{job.id}",
        }

    def wire_status(self, job: SimJob) -> str:
        if job.state == "queued":
            return "starting"
        if job.state == "running":
            return "processing"
        if job.state == "canceled" and job.extra.get("aborted"):
            return "aborted"
        return job.state

    def data_removed(self, job: SimJob) -> bool:
        return job.finished is not None and time.time() - job.finished > self.config.output_ttl

    def output_of(self, job: SimJob) -> Any:
        model = MODELS[job.model]
        if model.output == "single":
            return job.outputs[0] if job.outputs else None
        return list(job.outputs)

    def prediction(self, job: SimJob) -> dict[str, Any]:
        status = self.wire_status(job)
        removed = self.data_removed(job)
        logs = "".join(f"{line}\n" for line in job.logs)
        body: dict[str, Any] = {
            "id": job.id,
            "model": job.model,
            "version": job.extra["version"],
            "input": {} if removed else job.body,
            "logs": None if removed else logs,
            "output": self.output_of(job) if status == "succeeded" and not removed else None,
            "data_removed": removed,
            "error": job.extra.get("error", job.error) if status == "failed" else None,
            "status": status,
            "source": "api",
            "created_at": iso(job.created),
            "started_at": iso(job.started),
            "completed_at": iso(job.finished) if job.done else None,
            "urls": self._urls(job),
            "metrics": {},
        }
        if job.done:
            predict = (job.finished or 0) - (job.started or job.finished or 0)
            configured = self.usage.get("predict_time")
            if isinstance(configured, int | float) and job.started is not None:
                predict = float(configured)  # what Replicate measured, not our wall clock
            body["metrics"] = {
                "predict_time": round(predict, 3),
                "total_time": round((job.finished or 0) - job.created, 3),
            }
        if "deadline" in job.extra:
            body["deadline"] = iso(job.extra["deadline"])
        if "deployment" in job.extra:
            body["deployment"] = job.extra["deployment"]
        if self.echo_webhook and job.webhook:
            body["webhook"] = job.webhook
        return body

    def output_spec(self, job: SimJob) -> OutputSpec:
        model = MODELS[job.model]
        body = job.body
        prompt = str(body.get("prompt") or model.ref)
        if model.kind == "video":
            ratio = str(body.get("aspect_ratio") or "16:9")
            height = _RESOLUTION_HEIGHT.get(str(body.get("resolution")), 720)
            a, b = (int(p) for p in ratio.split(":"))
            width = round(height * a / b)
            seconds = body.get("duration")
            duration = float(seconds) if isinstance(seconds, int | float) else 5.0
            return OutputSpec(prompt=prompt, width=width, height=height, duration=min(duration, 2))
        if isinstance(body.get("width"), int) and isinstance(body.get("height"), int):
            width, height = body["width"], body["height"]
        elif isinstance(body.get("aspect_ratio"), str) and ":" in body["aspect_ratio"]:
            width, height = _dims(body["aspect_ratio"], 1024 * 1024)
        else:
            width, height = 1024, 1024
        count = body.get("num_outputs", 1)
        return OutputSpec(
            prompt=prompt, count=count if isinstance(count, int) else 1, width=width, height=height
        )

    def _job(self, request: Request) -> SimJob | None:
        return self.jobs.get(request.path_params["id"])

    # -- create -------------------------------------------------------------------------

    async def create_by_model(self, request: Request) -> Response:
        ref = f"{request.path_params['owner']}/{request.path_params['name']}"

        def resolve(_: dict[str, Any]) -> tuple[ReplicateModel, str, str | None] | Response:
            model = MODELS.get(ref)
            if model is None:
                return self._problem(404, "The requested resource could not be found.")
            if not model.official:  # community models are only run by version
                return self._bad_version()
            return model, "hidden", None

        return await self._create(request, resolve)

    async def create_by_version(self, request: Request) -> Response:
        def resolve(body: dict[str, Any]) -> tuple[ReplicateModel, str, str | None] | Response:
            version = body.get("version")
            if not isinstance(version, str) or not version:
                return self._invalid(
                    [{"type": "required", "field": "(root)", "description": "version is required"}]
                )
            ref, version_id = split_ref(version)
            if VERSION_ID.match(ref):  # a bare version id
                ref, version_id = "", ref
            model = VERSIONS.get(version_id) if version_id else MODELS.get(ref)
            if model is None or (ref and model.ref != ref):
                return self._bad_version()
            if version_id is None and not model.official:
                return self._bad_version()
            return model, version_id or "hidden", None

        return await self._create(request, resolve)

    async def create_by_deployment(self, request: Request) -> Response:
        name = f"{request.path_params['owner']}/{request.path_params['name']}"

        def resolve(_: dict[str, Any]) -> tuple[ReplicateModel, str, str | None] | Response:
            ref = self.deployments.get(name)
            if ref is None or ref not in MODELS:
                return self._problem(404, "Deployment not found")
            return MODELS[ref], "dp-" + hashlib.sha256(name.encode()).hexdigest()[:32], name

        return await self._create(request, resolve)

    async def _create(self, request: Request, resolve: Resolver) -> Response:
        raw = await self.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        if self.take_429():
            return self._problem(
                429,
                "Request was throttled. Your rate limit resets in ~1s.",
                create=True,
                headers={"ratelimit-remaining": "0", "ratelimit-reset": "1"},
            )
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._problem(400, "The request body is not valid JSON", "Bad Request")
        if not isinstance(body, dict):
            return self._invalid(
                [{"type": "invalid_type", "field": "(root)", "description": "Expected: object"}]
            )
        resolved = resolve(body)
        if isinstance(resolved, Response):
            return resolved
        model, version, deployment = resolved
        problems = self._request_problems(body)
        if problems:
            return self._invalid(problems)
        deadline = None
        if (cancel_after := request.headers.get("cancel-after")) is not None:
            deadline = parse_cancel_after(cancel_after)
            if deadline is None:
                return self._problem(
                    400,
                    "Cancel-After must be a duration such as 30s, 5m or 1h30m",
                    "Bad Request",
                    create=True,
                )
        inputs: dict[str, Any] = body["input"]
        problems = validate_input(model, inputs)
        if problems:
            return self._invalid(problems)
        events = frozenset(body.get("webhook_events_filter") or DEFAULT_EVENTS)
        job = self.start_job(
            model.ref, model.kind, inputs, webhook=body.get("webhook"), job_id=new_id()
        )
        job.extra |= {"version": version, "events": events, "completed_msg": "msg_" + new_id()}
        if deployment is not None:
            job.extra["deployment"] = deployment
        if missing := self._missing_files(model, inputs):
            job.will_fail = True
            job.extra["error"] = f"Prediction input failed validation: {missing}"
        if deadline is not None:
            job.extra["deadline"] = job.created + deadline
            self.send_later(self._deadline(job, deadline))
        if job.webhook:
            if "start" in events:
                self.send_later(self._post_once(job, "start"))
            if "logs" in events:
                self.send_later(self._watch_logs(job))
        return await self._created(job, _prefer_wait(request.headers.get("prefer")))

    def _request_problems(self, body: dict[str, Any]) -> list[dict[str, str]]:
        problems = []
        if not isinstance(body.get("input"), dict):
            problems.append(
                {"type": "required", "field": "(root)", "description": "input is required"}
            )
        webhook = body.get("webhook")
        if webhook is not None and not (
            isinstance(webhook, str) and webhook.startswith(("http://", "https://"))
        ):
            problems.append(
                {"type": "format", "field": "webhook", "description": "Does not match format 'uri'"}
            )
        events = body.get("webhook_events_filter")
        if events is not None and not (
            isinstance(events, list) and all(e in EVENTS for e in events)
        ):
            problems.append(
                {
                    "type": "enum",
                    "field": "webhook_events_filter",
                    "description": "webhook_events_filter must be a list of: "
                    + ", ".join(f'"{e}"' for e in EVENTS),
                }
            )
        return problems

    def _missing_files(self, model: ReplicateModel, inputs: dict[str, Any]) -> str | None:
        """An input naming one of our own uploads that does not exist (or expired)."""
        prefix = f"{self.mount_url()}/v1/files/"
        for name in model.files:
            value = inputs.get(name)
            if (
                isinstance(value, str)
                and value.startswith(prefix)
                and self._file(value.removeprefix(prefix)) is None
            ):
                return f"{name}: the file {value} does not exist or has expired"
        return None

    async def _created(self, job: SimJob, wait: int | None) -> Response:
        headers = {"Location": self._urls(job)["get"]}
        body = self.prediction(job)
        if wait is not None and job.task is not None:
            headers["Preference-Applied"] = f"wait={wait}"
            await asyncio.wait({job.task}, timeout=wait)
            body = self.prediction(job)
            if not job.done:
                # Out of time: the prediction comes back "starting", whatever its state.
                body |= {"status": "starting", "output": None}
            elif job.state == "succeeded" and self.sync_processing_quirk:
                body |= {"status": "processing", "completed_at": None}
        return self._json(body, 201, create=True, headers=headers)

    async def _deadline(self, job: SimJob, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if job.done:
            return
        job.extra["aborted"] = job.state == "queued"
        self.cancel(job)
        await self.on_finished(job)

    # -- get, cancel, list ----------------------------------------------------------------

    async def get_prediction(self, request: Request) -> Response:
        await self.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        if self.burst_503 > 0:
            self.burst_503 -= 1
            return self._problem(503, "Service Unavailable", "Service Unavailable")
        job = self._job(request)
        if job is None:
            return self._problem(404, "Not found.")
        return self._json(self.prediction(job))

    async def cancel_prediction(self, request: Request) -> Response:
        await self.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        job = self._job(request)
        if job is None:
            return self._problem(404, "Not found.")
        if self.cancel(job):
            await self.on_finished(job)
        return self._json(self.prediction(job))

    async def list_predictions(self, request: Request) -> Response:
        await self.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        query = request.query_params
        after = parse_iso(query.get("created_after"))
        before = parse_iso(query.get("created_before"))
        jobs = sorted(self.jobs.values(), key=lambda j: j.created, reverse=True)
        jobs = [
            j
            for j in jobs
            if (after is None or j.created > after) and (before is None or j.created < before)
        ]
        cursor = query.get("cursor", "0")
        start = int(cursor) if cursor.isdigit() else 0
        page = jobs[start : start + self.page_size]

        def link(offset: int) -> str:
            params = {k: v for k, v in query.items() if k != "cursor"} | {"cursor": str(offset)}
            return f"{self.mount_url()}/v1/predictions?{urlencode(params)}"

        end = start + self.page_size
        return self._json(
            {
                "next": link(end) if end < len(jobs) else None,
                "previous": link(max(0, start - self.page_size)) if start > 0 else None,
                "results": [self.prediction(j) for j in page],
            }
        )

    async def default_secret(self, request: Request) -> Response:
        await self.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        return self._json({"key": self.webhook_secret})

    # -- webhooks -----------------------------------------------------------------------

    def sign(self, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        key = base64.b64decode(self.webhook_secret.removeprefix("whsec_"))
        digest = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
        return {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": ts,
            "webhook-signature": f"v1,{base64.b64encode(digest).decode()}",
        }

    def signed_webhook(
        self, request_id: str, *, timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        job = self.jobs[request_id]
        body = json.dumps(self.prediction(job)).encode()
        return self.sign(job.extra["completed_msg"], body, timestamp), body

    async def _post_once(self, job: SimJob, event: str, body: bytes | None = None) -> None:
        """An intermediate event: sent once, never retried."""
        assert job.webhook is not None
        payload = body if body is not None else json.dumps(self.prediction(job)).encode()
        record: dict[str, Any] = {"url": job.webhook, "attempts": 1, "status": None}
        record["event"] = event
        self.webhooks_sent.append(record)
        with contextlib.suppress(httpx2.HTTPError):
            response = await self.http.post(
                job.webhook, content=payload, headers=self.sign("msg_" + new_id(), payload)
            )
            record["status"] = response.status_code

    async def _watch_logs(self, job: SimJob) -> None:
        seen = 0
        while not job.done:
            await asyncio.sleep(0.5)  # Replicate throttles logs events to one per 500 ms
            if len(job.logs) > seen and not job.done:
                seen = len(job.logs)
                await self._post_once(job, "logs")

    async def _finish_webhooks(self, job: SimJob) -> None:
        assert job.webhook is not None
        events = job.extra["events"]
        if "output" in events and job.state == "succeeded":
            snapshot = self.prediction(job) | {"status": "processing", "completed_at": None}
            await self._post_once(job, "output", json.dumps(snapshot).encode())
        if "completed" in events:
            body = json.dumps(self.prediction(job)).encode()
            msg_id = job.extra["completed_msg"]  # the same id on every retry
            await self.deliver(job.webhook, body, lambda: self.sign(msg_id, body))

    async def on_finished(self, job: SimJob) -> None:
        if job.webhook:
            self.send_later(self._finish_webhooks(job))
