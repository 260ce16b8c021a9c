"""ModelsLab, simulated: the v6/v7/v8 image routes, v7 video-fusion and voice routes, the
fetch endpoints (path form ``/fetch/{id}`` and body form with ``request_id``),
``base64_to_url`` uploads, the per-account queue limit (HTTP 429 with ``retry_after``),
and unsigned completion webhooks carrying ``track_id``.

Behaviour follows the fake-server checklist in reference/providers-others.md, A.14: the
key is read from the JSON body; a bad key or a bad body is a ``status: "error"`` envelope,
by default inside HTTP 200 as ModelsLab does in practice (``error_http_status`` switches to
the documented 400/401 codes); a submission answers ``processing`` with an integer ``id``,
``eta``, ``fetch_result`` and ``future_links``; fetches report ``processing`` until the job
ends, then ``success`` with ``output``, ``proxy_links`` and ``meta``, or a failure. v6
routes spell the error key ``messege`` and fail with ``status: "error"``; v7/v8 routes use
``message`` and ``status: "failed"``. ModelsLab documents no webhook retries, so a
webhook is posted once.

Choices where the docs are silent (docs/providers/modelslab.md): ``retry_after`` is scaled
to the simulator's latency (ModelsLab says 30) so tests stay fast; outputs are served by
the simulator's file store; ``instant_images`` makes image routes finish inside the request
and answer ``success`` directly, as "simple" text-to-image requests do.
"""

from __future__ import annotations

import array
import asyncio
import base64
import binascii
import io
import json
import math
import time
import wave
from collections.abc import Awaitable, Callable
from itertools import count
from typing import Any

import httpx2
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storyreel.media.scratch_voice import fake_speech
from storyreel.providers.modelslab_models import (
    FRAMES_PER_SECOND,
    SUBMIT_PATHS,
    UPLOAD_PATH,
    RouteName,
    model_for,
    number,
    validate,
)
from storyreel.vocabulary import aspect_size

from .base import FileStore, OutputSpec, SimConfig, SimJob, Simulator
from .modelslab_chat import LLM_PATH, create_chat
from .suite import register

Endpoint = Callable[[Request], Awaitable[Response]]

MUSIC_SECONDS = 8.0  # music-gen's clip: a story loops it under a longer video
QUEUE_LIMIT = 15  # the "Unlimited Premium" plan of seed 000 (Pay-as-you-go: 5, Standard: 10)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_EXT = {"image": "png", "video": "mp4", "audio": "wav"}
_UPLOAD_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "video/mp4": "mp4"}


def _wav(seconds: float = 1.0, rate: int = 16_000, tone: float = 440.0) -> bytes:
    samples = array.array(
        "h",
        (int(6000 * math.sin(2 * math.pi * tone * i / rate)) for i in range(int(rate * seconds))),
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


@register
class ModelsLabSimulator(Simulator):
    name = "modelslab"

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.queue_limit = QUEUE_LIMIT
        #: 200: errors inside HTTP 200 (ModelsLab in practice); 400: documented codes
        #: (400 for bad input, 401 for a bad key).
        self.error_http_status = 200
        self.instant_images = False
        self._ids = count(155_900_001)

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/api/{version}/{group}/fetch/{request_id}", self.fetch, methods=["POST"]),
            Route("/api/{version}/{group}/fetch", self.fetch, methods=["POST"]),
            Route(UPLOAD_PATH, self.base64_to_url, methods=["POST"]),
            Route(LLM_PATH, self.chat, methods=["POST"]),
        ]
        for (version, route), path in SUBMIT_PATHS.items():
            routes.append(Route(path, self._submit_endpoint(version, route), methods=["POST"]))
        return routes

    async def chat(self, request: Request) -> Response:
        return await create_chat(self, request)

    # -- envelopes --------------------------------------------------------------------

    def _error(self, message: str, *, version: str, status: int = 400) -> JSONResponse:
        key = "messege" if version == "v6" else "message"
        code = status if self.error_http_status != 200 else 200
        return JSONResponse({"status": "error", key: message}, status_code=code)

    def _retry_after(self) -> int:
        return max(1, math.ceil(self.config.latency))

    def _rate_limited(self, message: str) -> JSONResponse:
        return JSONResponse(
            {"status": "error", "message": message, "retry_after": self._retry_after()},
            status_code=429,
        )

    async def _body(self, request: Request) -> dict[str, Any] | None:
        raw = await self.record(request)
        try:
            body = json.loads(raw) if raw else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    def _prefix(self, version: str, group: str) -> str:
        return f"/api/{version}/{group}"

    def fetch_url(self, job: SimJob) -> str:
        return f"{self.mount_url()}{job.extra['prefix']}/fetch/{job.id}"

    def _links(self, job: SimJob) -> list[str]:
        ext = _EXT[job.kind]
        return [
            self.files.url(f"{self.name}-{job.id}-{i}.{ext}")
            for i in range(self.output_spec(job).count)
        ]

    def _meta(self, job: SimJob) -> dict[str, Any]:
        meta = {k: v for k, v in job.body.items() if k not in ("key", "webhook")}
        meta.setdefault("seed", int(job.id) % 100_000)
        return meta

    def processing_body(self, job: SimJob) -> dict[str, Any]:
        elapsed = time.time() - job.created
        what = {"image": "image", "video": "video", "audio": "audio"}[job.kind]
        return {
            "status": "processing",
            "tip": f"Your {what} is processing in background, you can get this {what} "
            "using fetch API",
            "tip_1": "Output links will be available at future_links once ready",
            "eta": round(max(0.0, job.latency - elapsed), 2),
            "message": "Try to fetch request after seconds estimated",
            "fetch_result": self.fetch_url(job),
            "id": int(job.id),
            "output": [],
            "meta": self._meta(job),
            "future_links": self._links(job),
            "webhook_status": "",
        }

    def success_body(self, job: SimJob) -> dict[str, Any]:
        # ModelsLab's specs show proxy_links as a list, its flux page as an object: both.
        proxy: list[str] | dict[str, str] = list(job.outputs)
        if int(job.id) % 2:
            proxy = {str(i): url for i, url in enumerate(job.outputs)}
        return {
            "status": "success",
            "generationTime": self.generation_time(job),
            "id": int(job.id),
            "output": list(job.outputs),
            "proxy_links": proxy,
            "meta": self._meta(job),
            "nsfw_content_detected": False,
            "webhook_status": "sent" if job.webhook else "",
            "tip": "",
            "future_links": [],
        }

    def generation_time(self, job: SimJob) -> float:
        """``generationTime``: the job's wall time unless ``usage`` sets what was measured."""
        configured = self.usage.get("generationTime")
        if isinstance(configured, int | float):
            return float(configured)
        return round((job.finished or time.time()) - job.created, 3)

    def failure_body(self, job: SimJob) -> dict[str, Any]:
        v6 = job.extra["prefix"].startswith("/api/v6/")
        body: dict[str, Any] = {
            "status": "error" if v6 else "failed",
            "id": int(job.id),
            "messege" if v6 else "message": f"Processing failed: {job.error or 'unknown'}",
            "track_id": job.extra.get("track_id"),
            "output": [],
        }
        if job.extra.get("fail_code") == "nsfw_content_detected":
            body["nsfw_content_detected"] = True  # the safety checker flagged the output
        return body

    def job_body(self, job: SimJob) -> dict[str, Any]:
        if job.state == "succeeded":
            return self.success_body(job)
        if job.done:
            return self.failure_body(job)
        return self.processing_body(job)

    # -- routes -----------------------------------------------------------------------

    def _submit_endpoint(self, version: str, route: RouteName) -> Endpoint:
        group = SUBMIT_PATHS[(version, route)].split("/")[3]

        async def endpoint(request: Request) -> Response:
            return await self.submit(request, version, group, route)

        return endpoint

    async def submit(
        self, request: Request, version: str, group: str, route: RouteName
    ) -> Response:
        body = await self._body(request)
        if body is None:
            return self._error("Invalid JSON body", version=version)
        if body.get("key") != self.config.api_key:
            return self._error("Invalid Api Key", version=version, status=401)
        if self.take_429():
            return self._rate_limited("Too many requests, please slow down.")
        unfinished = sum(1 for job in self.jobs.values() if not job.done)
        if unfinished >= self.queue_limit:
            return self._rate_limited(
                f"Rate limit exceeded. Maximum {self.queue_limit} queued requests allowed."
            )
        errors = validate(version, route, body)
        if errors:
            return self._error(" ".join(errors), version=version)
        model = model_for(str(body["model_id"]))
        assert model is not None
        webhook = body.get("webhook") if isinstance(body.get("webhook"), str) else None
        job = self.start_job(
            str(body["model_id"]), model.kind, body, webhook=webhook, job_id=str(next(self._ids))
        )
        job.extra |= {"prefix": self._prefix(version, group), "track_id": body.get("track_id")}
        if self.instant_images and model.kind == "image":
            await self.finish_now(job)
        return JSONResponse(self.job_body(job))

    async def fetch(self, request: Request) -> Response:
        version, group = request.path_params["version"], request.path_params["group"]
        body = await self._body(request)
        if body is None:
            return self._error("Invalid JSON body", version=version)
        if body.get("key") != self.config.api_key:
            return self._error("Invalid Api Key", version=version, status=401)
        request_id = str(request.path_params.get("request_id") or body.get("request_id") or "")
        job = self.jobs.get(request_id)
        if job is None or job.extra.get("prefix") != self._prefix(version, group):
            return self._error("Request not found", version=version, status=404)
        return JSONResponse(self.job_body(job))

    async def base64_to_url(self, request: Request) -> Response:
        body = await self._body(request)
        if body is None:
            return self._error("Invalid JSON body", version="v6")
        if body.get("key") != self.config.api_key:
            return self._error("Invalid Api Key", version="v6", status=401)
        raw = body.get("base64_string")
        if not isinstance(raw, str) or not raw:
            return self._error("The base64 string field is required.", version="v6")
        mime = "image/png"
        if raw.startswith("data:"):
            header, _, raw = raw.partition(",")
            mime = header[5:].split(";", 1)[0] or mime
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return self._error("Invalid base64 string", version="v6")
        if len(data) > MAX_UPLOAD_BYTES:
            return self._error("File size must not exceed 5MB", version="v6", status=413)
        self.uploads += 1
        upload_id = next(self._ids)
        url = self.files.add(f"{self.name}-upload-{upload_id}.{_UPLOAD_EXT.get(mime, 'bin')}", data)
        return JSONResponse({"status": "success", "id": upload_id, "output": [url]})

    # -- outputs ----------------------------------------------------------------------

    def output_spec(self, job: SimJob) -> OutputSpec:
        body = job.body
        width, height = number(body.get("width")), number(body.get("height"))
        if width and height:
            size = (int(width), int(height))
        else:
            size = aspect_size(body.get("aspect_ratio"), 1280 if job.kind == "video" else 1024)
        seconds = number(body.get("duration"))
        frames = number(body.get("num_frames"))
        if seconds is None and frames is not None:
            seconds = frames / FRAMES_PER_SECOND
        return OutputSpec(
            prompt=str(body.get("prompt", job.model)),
            count=int(number(body.get("samples")) or 1),
            width=size[0],
            height=size[1],
            duration=min(seconds or 2.0, 2.0),
        )

    async def _render(self, job: SimJob) -> list[str]:
        if job.kind != "audio":
            return await super()._render(job)
        model = model_for(job.model)
        if model is not None and model.family == "music":
            audio = _wav(seconds=MUSIC_SECONDS, tone=220.0)
        else:  # a voice reading the prompt, as long as a voice would take
            audio = await asyncio.to_thread(fake_speech, str(job.body.get("prompt", "")), fmt="wav")
        return [self.files.add(f"{self.name}-{job.id}-0.wav", audio)]

    # -- webhooks ---------------------------------------------------------------------

    def webhook_payload(self, job: SimJob) -> bytes:
        if job.state == "succeeded":
            payload: dict[str, Any] = {
                "status": "success",
                "id": job.id,
                "output": list(job.outputs),
                "generationTime": self.generation_time(job),
                "track_id": job.extra.get("track_id"),
                "meta": self._meta(job),
            }
        else:
            payload = {
                "status": "failed",
                "id": job.id,
                "message": f"Processing failed: {job.error or 'unknown'}",
                "track_id": job.extra.get("track_id"),
            }
        return json.dumps(payload).encode()

    def signed_webhook(
        self, request_id: str, *, timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        """ModelsLab signs nothing: the same unsigned payload whatever ``timestamp``."""
        return {"content-type": "application/json"}, self.webhook_payload(self.jobs[request_id])

    async def on_finished(self, job: SimJob) -> None:
        if job.webhook:
            self.send_later(self._post_once(job.webhook, self.webhook_payload(job)))

    async def _post_once(self, url: str, body: bytes) -> None:
        """Best effort, as documented: one attempt, no retries."""
        record: dict[str, Any] = {"url": url, "attempts": 1, "status": None}
        self.webhooks_sent.append(record)
        try:
            response = await self.http.post(
                url, content=body, headers={"content-type": "application/json"}
            )
            record["status"] = response.status_code
        except httpx2.HTTPError as exc:
            record["error"] = str(exc)
