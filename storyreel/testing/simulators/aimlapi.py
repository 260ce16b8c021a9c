"""AIML API, simulated: ``Authorization: Bearer``; OpenAI-shaped chat completions;
synchronous ``/v1/images/generations`` with model-specific bodies; ``/v2/video/generations``
answering ``generation_id`` and polled with ``?generation_id=`` through ``queued`` ->
``generating`` -> ``completed`` | ``error``.

Errors follow AIML's documented body ``{"message", "path", "requestId", "statusCode",
"timestamp"}`` with its documented messages: 400 "Body validation error!" followed by the
zod-style detail lines, 401 for a bad key, 403 "You've run out of credits..." (when
``credits`` is set and spent), 429 "Too Many Requests" for injected bursts and for more than
``max_concurrent`` unfinished videos. A failed video reports ``status: "error"`` with
``error: {"name", "message"}``. Unknown body fields are ignored (as zod objects do), so the
OpenAI SDK's ``n``/``size`` pass through.

Choices where the docs are silent (docs/providers/aimlapi.md): a failed synchronous image
or chat call answers 500; a queued video reports ``waiting`` on its first poll; outputs are
served by the simulator's file store.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from itertools import count
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storyreel.providers.aimlapi_models import CHAT_MODELS, MODELS, validate
from storyreel.vocabulary import aspect_size

from .base import FileStore, OutputSpec, SimConfig, SimJob, Simulator
from .chat import chat_answer
from .suite import register

MAX_CONCURRENT = 10
CREDITS = {"image": 315_000.0, "video": 399_000.0, "text": 1_000.0}
_RESOLUTION_SIDE = {"1K": 1024, "2K": 2048, "4K": 4096}
_FLUX_SIZES = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
_VIDEO_SIZES = {"768P": (1366, 768), "1080P": (1920, 1080), "480p": (854, 480)}


@register
class AimlApiSimulator(Simulator):
    name = "aimlapi"

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        super().__init__(config, files)
        self.max_concurrent = MAX_CONCURRENT
        #: Credits left; None: unlimited. At or below zero every generation answers 403.
        self.credits: float | None = None
        self._ids = count(349_872_201_343_396)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/images/generations", self.images, methods=["POST"]),
            Route("/v2/video/generations", self.create_video, methods=["POST"]),
            Route("/v2/video/generations", self.get_video, methods=["GET"]),
        ]

    # -- shared front door ------------------------------------------------------------------

    def _error(self, request: Request, status: int, message: str) -> JSONResponse:
        return JSONResponse(
            {
                "message": message,
                "path": request.url.path.removeprefix(f"/{self.name}"),
                "requestId": str(uuid.uuid4()),
                "statusCode": status,
                "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            },
            status_code=status,
        )

    def _invalid(self, request: Request, details: list[str]) -> JSONResponse:
        return self._error(request, 400, "\n".join(["Body validation error!", *details]))

    async def _admit(self, request: Request, kind: str) -> dict[str, Any] | Response:
        """Auth, rate limits, credits, JSON: the body, or the error response."""
        raw = await self.record(request)
        if request.headers.get("authorization") != f"Bearer {self.config.api_key}":
            return self._error(
                request,
                401,
                "This request requires a valid API key. You can create a new API key on the "
                "Billing page: https://aimlapi.com/app/keys",
            )
        if self.take_429():
            return self._error(request, 429, "Too Many Requests")
        if self.credits is not None and self.credits <= 0:
            return self._error(
                request,
                403,
                "You've run out of credits. Please top up your balance or update your "
                "payment method to continue: https://aimlapi.com/app/billing/",
            )
        try:
            body = json.loads(raw) if raw else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return self._invalid(request, ["Expected object, received " + type(body).__name__])
        if kind == "video":
            running = sum(1 for j in self.jobs.values() if j.kind == "video" and not j.done)
            if running >= self.max_concurrent:
                return self._error(request, 429, "Too Many Requests")
        return body

    def _spend(self, kind: str) -> float:
        cost = CREDITS[kind]
        if self.credits is not None:
            self.credits -= cost
        return cost

    # -- chat -------------------------------------------------------------------------------

    async def chat(self, request: Request) -> Response:
        body = await self._admit(request, "text")
        if isinstance(body, Response):
            return body
        model = body.get("model")
        details = []
        if model not in CHAT_MODELS:
            expected = " | ".join(f"'{m}'" for m in CHAT_MODELS)
            details.append(f"Invalid enum value. Expected {expected}, received '{model}'")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            details.append("messages: Array must contain at least 1 element(s)")
        elif not all(isinstance(m, dict) and m.get("role") and "content" in m for m in messages):
            details.append("messages: Each message needs a role and content")
        if details:
            return self._invalid(request, details)
        assert isinstance(messages, list)
        job = self.start_job(str(model), "text", body)
        await self.finish_now(job)
        if job.state != "succeeded":
            return self._error(request, 500, "Internal server error")
        answer = chat_answer(self, messages)
        job.extra["answer"] = answer
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages) + 3
        completion_tokens = len(answer.split())
        finish, refusal = "stop", None
        if self.fail_code:  # a refused answer: no content, the finish_reason (and refusal) say why
            answer, finish, refusal = "", self.fail_code, self.fail_message
        self._spend("text")
        return JSONResponse(
            {
                "id": f"chatcmpl-{job.id}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer, "refusal": refusal},
                        "finish_reason": finish,
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )

    # -- images -------------------------------------------------------------------------------

    async def images(self, request: Request) -> Response:
        body = await self._admit(request, "image")
        if isinstance(body, Response):
            return body
        details = validate(body.get("model"), body, "image")
        if details:
            return self._invalid(request, details)
        job = self.start_job(str(body["model"]), "image", body)
        await self.finish_now(job)
        if job.state != "succeeded":
            return self._error(request, 500, f"Generation failed: {job.error}")
        cost = self._spend("image")
        inline = body.get("response_format") == "b64_json"
        data = []
        for url in job.outputs:
            name = url.rsplit("/", 1)[-1]
            if inline:
                path = self.files.get(name)
                assert path is not None
                data.append({"b64_json": base64.b64encode(path.read_bytes()).decode(), "url": None})
            else:
                data.append(
                    {
                        "url": url,
                        "content_type": "image/png",
                        "width": None,
                        "height": None,
                        "file_name": name,
                    }
                )
        # The nano-banana-pro example reports tokens_used; the schema says credits_used.
        family = MODELS[job.model].family
        usage_key = "tokens_used" if family.startswith("nano_banana") else "credits_used"
        return JSONResponse({"description": "", "data": data, "meta": {"usage": {usage_key: cost}}})

    # -- video ----------------------------------------------------------------------------------

    async def create_video(self, request: Request) -> Response:
        body = await self._admit(request, "video")
        if isinstance(body, Response):
            return body
        details = validate(body.get("model"), body, "video")
        if details:
            return self._invalid(request, details)
        model = str(body["model"])
        job = self.start_job(model, "video", body, job_id=str(next(self._ids)))
        job.extra["credits"] = self._spend("video")
        return JSONResponse(
            {
                "generation_id": self.generation_id(job),
                "status": "queued",
                "meta": {"usage": {"credits_used": job.extra["credits"]}},
            }
        )

    @staticmethod
    def generation_id(job: SimJob) -> str:
        """AIML's ids look like ``349872201343396:minimax/hailuo-2.3-fast``."""
        return f"{job.id}:{job.model}"

    def video_body(self, job: SimJob) -> dict[str, Any]:
        job.extra["polls"] = job.extra.get("polls", 0) + 1
        status = {
            "queued": "waiting" if job.extra["polls"] == 1 else "queued",
            "running": "generating",
            "succeeded": "completed",
        }.get(job.state, "error")
        body: dict[str, Any] = {
            "id": self.generation_id(job),
            "status": status,
            "video": {"url": job.outputs[0]} if job.state == "succeeded" else None,
            "error": None,
            "meta": {"usage": {"credits_used": job.extra.get("credits", 0)}},
        }
        if status == "error":
            message = job.error or "Generation was canceled"
            body["error"] = {"name": "GenerationError", "message": message}
        return body

    async def get_video(self, request: Request) -> Response:
        await self.record(request)
        if request.headers.get("authorization") != f"Bearer {self.config.api_key}":
            return self._error(request, 401, "This request requires a valid API key.")
        generation_id = request.query_params.get("generation_id")
        if not generation_id:
            return self._invalid(request, ["generation_id: Required"])
        job = self.jobs.get(generation_id.split(":", 1)[0])
        if job is None or job.kind != "video" or self.generation_id(job) != generation_id:
            return self._error(request, 404, "Generation not found")
        return JSONResponse(self.video_body(job))

    # -- outputs -----------------------------------------------------------------------------

    def output_spec(self, job: SimJob) -> OutputSpec:
        body = job.body
        prompt = str(body.get("prompt", job.model))
        if job.kind == "video":
            size = _VIDEO_SIZES.get(str(body.get("resolution")))
            width, height = size or aspect_size(body.get("aspect_ratio", "16:9"), 1280, minimum=64)
            seconds = body.get("duration")
            duration = float(seconds) if isinstance(seconds, int | float) else 2.0
            return OutputSpec(
                prompt=prompt, width=width, height=height, duration=min(duration, 2.0)
            )
        image_size = body.get("image_size")
        if isinstance(image_size, dict):
            width, height = int(image_size.get("width", 1024)), int(image_size.get("height", 768))
        elif isinstance(image_size, str) and image_size in _FLUX_SIZES:
            width, height = _FLUX_SIZES[image_size]
        else:
            side = _RESOLUTION_SIDE.get(str(body.get("resolution", "1K")), 1024)
            width, height = aspect_size(body.get("aspect_ratio", "1:1"), side, minimum=64)
        count_ = body.get("num_images", 1)
        return OutputSpec(
            prompt=prompt,
            count=count_ if isinstance(count_, int) else 1,
            width=width,
            height=height,
        )

    async def _render(self, job: SimJob) -> list[str]:
        if job.kind == "text":
            return []  # the answer is composed by the chat route
        return await super()._render(job)
