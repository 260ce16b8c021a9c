"""The key only goes to the provider's own API origins.

Real servers on loopback: the fal simulator as the provider, and a second server on another
port playing the attacker, which logs every request it receives. A status, result or cancel
URL, or a download redirect, that points at the attacker must not reach it with our key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from storyreel.config import ProviderSettings
from storyreel.engine.webhook_server import BackgroundServer
from storyreel.errors import ProviderAPIError
from storyreel.providers.base import ProviderContext
from storyreel.providers.fal import FalProvider
from storyreel.providers.gemini import GeminiProvider
from storyreel.providers.types import Handle, JobState
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import free_port, serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.vocabulary import GenerationRequest, Task

KEY = "sim-key"


class Server:
    """A loopback HTTP server that records the headers of every request it gets."""

    def __init__(self, routes: list[Route]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log: list[dict[str, str]] = []
        self.app = Starlette(routes=routes)
        self.server = BackgroundServer(self.app, "127.0.0.1", self.port)
        self.server.server.config.app = self._record
        self.server.server.config.interface = "asgi3"

    async def _record(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            self.log.append({"path": scope["path"], **headers})
        await self.app(scope, receive, send)


def evil_routes() -> list[Route]:
    async def anything(request: Request) -> Response:
        # What fal would answer, so that only the origin check stands in the way.
        return JSONResponse({"status": "IN_QUEUE", "queue_position": 0, "images": []})

    return [Route("/{path:path}", anything, methods=["GET", "PUT", "POST"])]


@pytest.fixture
async def evil() -> AsyncIterator[Server]:
    server = Server(evil_routes())
    await server.server.start()
    yield server
    await server.server.stop()


@pytest.fixture
async def fal_sim(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    config = SimConfig(latency=0.2, api_key=KEY)
    async with serve_simulators(config, providers=["fal"], files_dir=tmp_path / "f") as suite:
        yield suite


def context(tmp_path: Path, settings: ProviderSettings) -> ProviderContext:
    return ProviderContext(settings, AssetStore(tmp_path / "assets"), tmp_path / "scratch")


async def test_fal_urls_off_the_queue_origin_never_get_the_key(
    tmp_path: Path, fal_sim: SimulatorSuite, evil: Server
) -> None:
    provider = FalProvider(context(tmp_path, fal_sim.provider_settings("fal")))
    req = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="fal:fal-ai/flux/schnell", prompt="a fox"
    )
    handle = await provider.submit(req, job_id="j1", webhook_url=None)
    assert (await provider.poll(handle)).state in (JobState.QUEUED, JobState.RUNNING)
    for base in (evil.url, f"http://localhost:{evil.port}"):  # other port; other host
        forged = Handle(
            provider="fal",
            request_id=handle.request_id,
            urls={
                "status_url": f"{base}/fal-ai/flux/requests/{handle.request_id}/status",
                "response_url": f"{base}/fal-ai/flux/requests/{handle.request_id}",
                "cancel_url": f"{base}/fal-ai/flux/requests/{handle.request_id}/cancel",
            },
        )
        for call in (provider.poll, provider.result, provider.cancel):
            with pytest.raises(ProviderAPIError, match="refusing to send credentials") as err:
                await call(forged)
            assert not err.value.retryable
    assert [entry for entry in evil.log if "authorization" in entry] == []
    assert evil.log == []
    await provider.aclose()


def api_routes(evil: Server) -> list[Route]:
    async def to_evil(request: Request) -> Response:
        return RedirectResponse(f"{evil.url}/steal", status_code=302)

    async def to_evil_by_name(request: Request) -> Response:
        return RedirectResponse(f"http://localhost:{evil.port}/steal", status_code=302)

    async def to_self(request: Request) -> Response:
        return RedirectResponse("/v1beta/blob", status_code=302)

    async def blob(request: Request) -> Response:
        if request.headers.get("x-goog-api-key") != KEY:
            return JSONResponse({"error": {"message": "no key"}}, status_code=401)
        return Response(b"video bytes", media_type="video/mp4")

    return [
        Route("/v1beta/files/evil", to_evil),
        Route("/v1beta/files/evil-name", to_evil_by_name),
        Route("/v1beta/files/ok", to_self),
        Route("/v1beta/blob", blob),
    ]


async def test_download_redirects_to_another_loopback_port_are_refused(
    tmp_path: Path, evil: Server
) -> None:
    api = Server(api_routes(evil))
    await api.server.start()
    try:
        provider = GeminiProvider(
            context(tmp_path, ProviderSettings(base_url=api.url, api_key=KEY))
        )
        target = tmp_path / "v.mp4"
        await provider.download_to("v1beta/files/ok", target)  # on-origin hops keep the key
        assert target.read_bytes() == b"video bytes"
        for path in ("v1beta/files/evil", "v1beta/files/evil-name"):
            with pytest.raises(ProviderAPIError, match="refused") as err:
                await provider.download_to(path, tmp_path / "stolen.mp4")
            assert not err.value.retryable
        # An off-origin URL handed over directly is fetched, if at all, without the key.
        with pytest.raises(ProviderAPIError, match="refused"):
            await provider.download_to(f"{evil.url}/direct", tmp_path / "direct.mp4")
        await provider.aclose()
    finally:
        await api.server.stop()
    assert evil.log == []
    assert all(entry.get("x-goog-api-key") == KEY for entry in api.log)
