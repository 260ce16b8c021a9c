"""What every provider simulator shares: jobs that progress over time, real output files,
faults, and webhook delivery with retries.

A provider module subclasses ``Simulator`` and only adds its wire protocol (routes, field
names, status strings, error bodies, signatures). Jobs run as asyncio tasks: queued for a
tenth of their latency, then running, and done at their latency with outputs rendered
meanwhile (from the submission on) by storyreel's own sketch and motion renderers (so
they are real PNG/MP4 files); the job succeeds, or fails if the fault dice say so.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx2
from starlette.requests import Request
from starlette.routing import BaseRoute

from storyreel.ids import new_id
from storyreel.media.images import image_to_png
from storyreel.media.motion import motion_from_prompt, render_motion_clip
from storyreel.media.scratch_voice import fake_speech
from storyreel.providers.sketch.frame import FrameSpec, frame_spec_from_prompt
from storyreel.providers.sketch.render import render_frame

from .replay import marked_copy

Kind = Literal["image", "video", "text", "audio"]
State = Literal["queued", "running", "succeeded", "failed", "canceled"]

MAX_SIDE = 512  # outputs keep the requested aspect, capped so simulated renders stay fast


@dataclass
class SimConfig:
    """Knobs shared by every simulated provider (``storyreel simulate`` flags)."""

    latency: float = 1.0
    video_latency: float = 3.0
    fail_rate: float = 0.0
    output_ttl: float = 3600.0
    api_key: str = "sim-key"
    webhook_attempts: int = 4
    webhook_backoff: float = 0.2
    seed: int = 0
    reuse_renders: bool = False
    """Render one output per kind and shape and serve marked copies of it (``replay``):
    the provider's protocol, latency and files at almost no CPU, for benchmarks and load
    tests on the machine under test; outputs then no longer follow the prompt."""


@dataclass
class SimJob:
    id: str
    model: str
    kind: Kind
    body: dict[str, Any]
    latency: float
    will_fail: bool
    webhook: str | None = None
    state: State = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    logs: list[str] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed", "canceled")


@dataclass(frozen=True)
class OutputSpec:
    """What to render for a finished job."""

    prompt: str
    count: int = 1
    width: int = 1024
    height: int = 1024
    duration: float = 2.0
    fps: int = 12


class FileStore:
    """Output files served at ``/_sim/files/{name}``, gone (404) after their TTL."""

    def __init__(self, root: Path, ttl: float) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.ttl = ttl
        self.base_url = ""
        self._born: dict[str, float] = {}

    def add(self, name: str, data: bytes) -> str:
        (self.root / name).write_bytes(data)
        self._born[name] = time.time()
        return self.url(name)

    def add_path(self, name: str) -> str:
        self._born[name] = time.time()
        return self.url(name)

    def url(self, name: str) -> str:
        return f"{self.base_url}/_sim/files/{name}"

    def get(self, name: str) -> Path | None:
        born = self._born.get(name)
        path = self.root / name
        if born is None or time.time() - born > self.ttl or not path.is_file():
            return None
        return path

    def expire_all(self) -> None:
        self._born.clear()


def _scaled(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, MAX_SIDE / max(width, height))
    return _even(width * scale), _even(height * scale)


def _even(value: float) -> int:
    return max(64, int(value) // 2 * 2)


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a dropped render's error as seen (asyncio logs unseen ones at exit)."""
    if not task.cancelled():
        task.exception()


def _png(spec: FrameSpec) -> bytes:
    return image_to_png(render_frame(spec))


class Simulator:
    """One provider's simulated service. Subclasses set ``name`` and ``routes()``."""

    name: str = "base"

    def __init__(self, config: SimConfig, files: FileStore) -> None:
        self.config = config
        self.files = files
        self.jobs: dict[str, SimJob] = {}
        self.submissions: Counter[str] = Counter()
        self.requests: deque[dict[str, Any]] = deque(maxlen=100)
        self.webhooks_sent: list[dict[str, Any]] = []
        self.burst_429 = 0
        self.lose_answers = 0  # faults.LoseAnswer: billed submits whose answer is cut off
        self.answers_lost = 0
        self.answer_delay = 0.0  # faults.LoseAnswer: seconds a billed submit's answer waits
        self.own_fail_rate: float | None = None  # this provider's, instead of the suite's
        #: How a failed job fails: the provider's own error code and message (each
        #: simulator puts them where its API does; None: the simulator's default).
        self.fail_code: str | None = None
        self.fail_message: str | None = None
        #: What the provider reports it measured, overriding the simulator's own figures
        #: (``predict_time``, ``seconds``, ...): real runs differ from catalog assumptions.
        self.usage: dict[str, Any] = {}
        #: Chat answers to give verbatim, in order, before the simulator's own (a test's
        #: invalid plan for the planner's repair round).
        self.chat_answers: deque[str] = deque()
        self.uploads = 0
        self.rng = random.Random(config.seed)
        self.http = httpx2.AsyncClient(timeout=10.0)
        self.base_url = ""
        self._tasks: set[asyncio.Future[None]] = set()
        self._replays: dict[tuple[object, ...], asyncio.Future[list[Path]]] = {}

    # -- to override -----------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def output_spec(self, job: SimJob) -> OutputSpec:
        return OutputSpec(prompt=str(job.body.get("prompt", job.model)))

    async def on_finished(self, job: SimJob) -> None:
        """Send the provider's webhook, if the job asked for one."""

    def signed_webhook(
        self, request_id: str, *, timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Headers and body of the completion webhook for a job, signed as the provider
        signs it (``timestamp`` lets tests forge an old one)."""
        raise NotImplementedError

    # -- shared behaviour --------------------------------------------------------------

    def configure_faults(self, body: dict[str, Any]) -> None:
        """``/_sim/config`` keys for this provider: ``burst_429``, ``lose_answer`` (the next
        N billed submits never get their answer), ``answer_delay`` (billed submits answered
        that many seconds late), ``fail_rate`` (with ``provider``: this provider's only),
        ``fail_code``, ``fail_message``, ``usage``, ``chat_answers``."""
        if "burst_429" in body:
            self.burst_429 = int(body["burst_429"])
        if "lose_answer" in body:
            self.lose_answers = int(body["lose_answer"])
        if "answer_delay" in body:
            self.answer_delay = float(body["answer_delay"])
        if "fail_rate" in body and body.get("provider"):
            self.own_fail_rate = float(body["fail_rate"])
        for key in ("fail_code", "fail_message"):
            if key in body:
                setattr(self, key, None if body[key] is None else str(body[key]))
        if "usage" in body:
            self.usage = dict(body["usage"] or {})
        if "chat_answers" in body:
            self.chat_answers = deque(str(answer) for answer in body["chat_answers"] or [])

    def fail_code_of(self, job: SimJob, default: str) -> str:
        """The provider code a failed job reports: the configured one, else ``default``."""
        code = job.extra.get("fail_code")
        return str(code) if code else default

    def mount_url(self) -> str:
        return f"{self.base_url}/{self.name}"

    async def record(self, request: Request, *, binary: bool = False) -> bytes:
        """Read the body and log the request; a ``binary`` body (an upload) is logged by
        its size only, never parsed or kept."""
        body = await request.body()
        parsed: Any = f"<{len(body)} bytes>"
        if not binary:
            with contextlib.suppress(json.JSONDecodeError, UnicodeDecodeError):
                parsed = json.loads(body) if body else None
        self.requests.append(
            {"method": request.method, "path": request.url.path, "body": parsed, "at": time.time()}
        )
        return body

    def authorized(self, request: Request, *schemes: str) -> bool:
        """The ``Authorization`` header carries this simulator's key under one of
        ``schemes`` (default ``Bearer``), compared in constant time."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme in (schemes or ("Bearer",)) and hmac.compare_digest(
            token.encode(), self.config.api_key.encode()
        )

    def take_429(self) -> bool:
        """True when an injected burst of rate limiting should answer this request."""
        if self.burst_429 > 0:
            self.burst_429 -= 1
            return True
        return False

    def start_job(
        self,
        model: str,
        kind: Kind,
        body: dict[str, Any],
        *,
        webhook: str | None = None,
        job_id: str | None = None,
    ) -> SimJob:
        """Accept a submission: it is counted (what a real provider would bill)."""
        latency = self.config.video_latency if kind == "video" else self.config.latency
        job = SimJob(
            id=job_id or new_id().lower(),
            model=model,
            kind=kind,
            body=body,
            latency=latency,
            will_fail=self.rng.random() < self.fail_rate,
            webhook=webhook,
        )
        self.jobs[job.id] = job
        self.submissions[model] += 1
        job.task = asyncio.create_task(self._run(job))
        return job

    async def finish_now(self, job: SimJob) -> None:
        """For synchronous APIs: run the job to its end inside the request."""
        if job.task is not None:
            await job.task

    def cancel(self, job: SimJob) -> bool:
        if job.done:
            return False
        job.state = "canceled"
        job.finished = time.time()
        if job.task is not None:
            job.task.cancel()
        return True

    async def _run(self, job: SimJob) -> None:
        # The outputs are rendered from the submission on, under the latency, so a job is
        # done at the latency it promises (rendering an MP4 after it added seconds per
        # clip on a busy machine, time no real provider's client would see).
        # A job that will fail (decided up to its end: some simulators decide after the
        # submission) renders for nothing; its render is dropped.
        rendering = asyncio.create_task(self._render(job))
        rendering.add_done_callback(_retrieve)
        try:
            await asyncio.sleep(job.latency * 0.1)
            job.state, job.started = "running", time.time()
            job.logs.append("model loaded")
            await asyncio.sleep(job.latency * 0.9)
            if job.will_fail:
                job.error = self.fail_message or "simulated model failure"
                job.extra.setdefault("fail_code", self.fail_code)
                job.state = "failed"
            else:
                job.outputs = await rendering
                job.logs.append("done")
                job.state = "succeeded"
            job.finished = time.time()
        except asyncio.CancelledError:
            return
        finally:
            if not rendering.done():
                rendering.cancel()
        await self.on_finished(job)

    async def _render(self, job: SimJob) -> list[str]:
        if job.kind == "text":  # a chat answer is the response body itself: no file
            return []
        spec = self.output_spec(job)
        if job.kind == "audio":  # text-to-speech: a voice whose length follows the text
            audio = await asyncio.to_thread(fake_speech, spec.prompt)
            return [self.files.add(f"{self.name}-{job.id}-0.mp3", audio)]
        if self.config.reuse_renders:
            return await self._replayed(job, spec)
        paths = await self._render_files(job.kind, spec, stem=f"{self.name}-{job.id}", seed=job.id)
        return [self.files.add_path(path.name) for path in paths]

    async def _render_files(
        self, kind: Kind, spec: OutputSpec, *, stem: str, seed: str
    ) -> list[Path]:
        """Render ``spec``'s outputs into the file store as ``{stem}-{index}.png|mp4``."""
        width, height = _scaled(spec.width, spec.height)
        paths = []
        for index in range(spec.count):
            frame_seed = int(hashlib.sha256(f"{seed}{index}".encode()).hexdigest()[:8], 16)
            frame = frame_spec_from_prompt(spec.prompt, width=width, height=height, seed=frame_seed)
            png = await asyncio.to_thread(_png, frame)
            still = self.files.root / f"{stem}-{index}.png"
            still.write_bytes(png)
            if kind != "video":
                paths.append(still)
                continue
            out = self.files.root / f"{stem}-{index}.mp4"
            await render_motion_clip(
                still,
                out,
                motion=motion_from_prompt(spec.prompt),
                duration=spec.duration,
                fps=spec.fps,
                width=width,
                height=height,
            )
            paths.append(out)
        return paths

    async def _replayed(self, job: SimJob, spec: OutputSpec) -> list[str]:
        """``reuse_renders``: the first render of this kind and shape, as marked copies
        (``replay``). Jobs that come while it renders wait for it rather than render too."""
        key = (job.kind, _scaled(spec.width, spec.height), spec.count, spec.duration, spec.fps)
        render = self._replays.get(key)
        if render is None:
            stem = f"{self.name}-replay-{len(self._replays)}"
            render = asyncio.ensure_future(
                self._render_files(job.kind, spec, stem=stem, seed=job.id)
            )
            render.add_done_callback(_retrieve)  # every job awaiting it may have been canceled
            self._replays[key] = render
        try:
            sources = await asyncio.shield(render)
        except Exception:
            if self._replays.get(key) is render:
                del self._replays[key]  # a failed render is tried again by the next job
            raise
        urls = []
        for index, source in enumerate(sources):
            name = f"{self.name}-{job.id}-{index}{source.suffix}"
            await asyncio.to_thread(marked_copy, source, self.files.root / name, job.id)
            urls.append(self.files.add_path(name))
        return urls

    async def deliver(self, url: str, body: bytes, headers: Callable[[], dict[str, str]]) -> None:
        """POST a webhook, retrying failed deliveries like the real services do.
        ``headers`` is called per attempt (a fresh timestamp and signature each time)."""
        record: dict[str, Any] = {"url": url, "attempts": 0, "status": None}
        self.webhooks_sent.append(record)
        for attempt in range(self.config.webhook_attempts):
            record["attempts"] = attempt + 1
            with contextlib.suppress(httpx2.HTTPError):
                response = await self.http.post(url, content=body, headers=headers())
                record["status"] = response.status_code
                if response.status_code < 300:
                    return
            await asyncio.sleep(self.config.webhook_backoff * 2**attempt)

    def send_later(self, coro: Awaitable[None]) -> None:
        """Run a delivery in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def fail_rate(self) -> float:
        """Share of jobs that fail (an infrastructure failure, after running)."""
        return self.config.fail_rate if self.own_fail_rate is None else self.own_fail_rate

    def stats(self) -> dict[str, Any]:
        states = Counter(job.state for job in self.jobs.values())
        return {
            "submissions": sum(self.submissions.values()),
            "by_model": dict(self.submissions),
            "jobs": dict(states),
            "webhooks": len(self.webhooks_sent),
            "uploads": self.uploads,
            "answers_lost": self.answers_lost,
        }

    async def aclose(self) -> None:
        for job in self.jobs.values():
            if job.task is not None and not job.task.done():
                job.task.cancel()
        await self.http.aclose()
