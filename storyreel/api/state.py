"""What every route reaches through ``request.app.state.api``: the store, the catalog,
the engine (when this process runs jobs) or a DBOS client (when workers do), and the HTTP
client that fetches image URLs for users through the SSRF guard."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
from dbos import DBOSClient
from fastapi import Request

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.engine.service import submit_job
from storyreel.errors import InputError, WaitTimeout
from storyreel.providers.guard import Guard, Resolver
from storyreel.providers.types import JobState
from storyreel.services import jobs as job_service
from storyreel.services.generation import check_image
from storyreel.services.story_runs import StoryRuns
from storyreel.store.models import Job
from storyreel.vocabulary import GenerationRequest

#: A device report for seed 001's ``/health`` and ``/``: the local-model engineer's
#: provider sets ``ApiState.device_report`` to a function returning e.g.
#: ``{"device": "cuda", "model": "segmind/tiny-sd", "model_loaded": True}``.
DeviceReport = Callable[[], dict[str, Any]]


@dataclass
class ApiState:
    settings: Settings
    rt: Runtime
    catalog: Catalog
    client: DBOSClient | None = None
    """Set when this process runs no jobs: work is queued for worker processes."""
    engine: Engine | None = None
    http: httpx2.AsyncClient = field(default_factory=lambda: httpx2.AsyncClient(timeout=30))
    resolver: Resolver | None = None
    """DNS for user image URLs (tests inject one); None: the system resolver."""
    device_report: DeviceReport | None = None
    story_runs: StoryRuns | None = None
    """Stories running in the background on ``engine`` (None when workers run jobs)."""

    async def submit(self, req: GenerationRequest, **kwargs: Any) -> Job:
        """Create (or reuse) the job and queue it: run here, or by the workers."""
        job = await submit_job(req, rt=self.rt, client=self.client, **kwargs)
        return await job_service.get_job(self.rt, job.id)  # with its outputs loaded

    async def wait(self, job_id: str, *, interval: float = 0.05) -> Job:
        """The job that ends ``job_id``'s failover chain, once it is final; WaitTimeout
        after ``api.wait_seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.api.wait_seconds
        while True:
            job = await job_service.final_job(self.rt, job_id)
            if JobState(job.status).terminal:
                return job
            if loop.time() > deadline:
                raise WaitTimeout(
                    f"job {job.id} is still {job.status} after {self.settings.api.wait_seconds:g}"
                    f" s; follow it at /api/v1/jobs/{job.id}"
                )
            await asyncio.sleep(interval)

    async def fetch_image(self, url: str) -> tuple[bytes, str]:
        """Download a user's image URL through the SSRF guard, capped and checked."""
        limit = self.settings.max_upload_bytes
        guard = Guard((), self.resolver)
        try:
            async with guard.stream(self.http, url) as response:
                if response.status_code >= 400:
                    raise InputError(f"fetching {url[:120]} answered HTTP {response.status_code}")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data.extend(chunk)
                    if len(data) > limit:
                        raise InputError(f"image at {url[:120]} is larger than {limit} bytes")
        except httpx2.HTTPError as exc:
            raise InputError(f"cannot fetch {url[:120]}: {type(exc).__name__}") from None
        mime = check_image(
            bytes(data),
            name=url[:120],
            max_bytes=limit,
            max_pixels=self.settings.max_image_pixels,
        )
        return bytes(data), mime


async def api_state(request: Request) -> ApiState:
    """The dependency (async: FastAPI would run a plain function on a thread)."""
    state: ApiState = request.app.state.api
    return state
