"""A live storyreel server (API + UI + embedded engine) with every provider simulator,
served from a thread with its own event loop, so that Playwright's sync API can drive a
browser from the test thread while jobs run."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from storyreel.api import create_app
from storyreel.api.state import ApiState
from storyreel.config import ApiSettings, Settings
from storyreel.engine.webhook_server import BackgroundServer
from storyreel.testing.serve import free_port, serve_simulators
from storyreel.testing.simulators import SimConfig

T = TypeVar("T")


class LiveServer:
    """``with LiveServer(tmp) as live: page.goto(live.url("/ui/jobs"))``.

    ``call(fn)`` runs ``fn(state)`` (a coroutine function taking the ``ApiState``) on the
    server's loop: seed data, submit jobs, read the store, exactly as the routes do.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        sim: SimConfig | None = None,
        api: ApiSettings | None = None,
        **settings: Any,
    ) -> None:
        self.data_dir = data_dir
        self.sim = sim or SimConfig(latency=0.2)
        self.api = api or ApiSettings(wait_seconds=60.0)
        self.extra = settings
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self._ready: Future[None] = Future()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="live-server", daemon=True)
        self.settings: Settings | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> LiveServer:
        self._thread.start()
        self._ready.result(timeout=120)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=60)

    def state(self) -> ApiState:
        return self._app_state

    def call(self, fn: Callable[[ApiState], Awaitable[T]], timeout: float = 120) -> T:
        async def run() -> T:
            return await fn(self._app_state)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaces in __enter__ instead of hanging it
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with serve_simulators(self.sim, files_dir=self.data_dir / "sim-files") as suite:
            settings = Settings(
                data_dir=self.data_dir / "data",
                poll_interval=0.05,
                poll_interval_max=0.2,
                queue_poll_interval=0.05,
                retry_base_delay=0.01,
                api=self.api,
                providers={name: suite.provider_settings(name) for name in suite.sims},
                **self.extra,
            )
            self.settings = settings
            app = create_app(settings)
            server = BackgroundServer(app, "127.0.0.1", self.port, lifespan="on")
            await server.start()
            try:
                self._app_state = app.state.api
                self._ready.set_result(None)
                await self._stop.wait()
            finally:
                await server.stop()
