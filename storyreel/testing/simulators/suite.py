"""All provider simulators behind one ASGI app, plus the ``/_sim`` control endpoints.

Each provider is mounted under its own prefix (``/fal``, ``/replicate``, ...) so one port
serves them all; ``env()`` gives the settings that point storyreel at them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, Router

from storyreel.config import ProviderSettings

from .base import FileStore, SimConfig, Simulator
from .faults import LoseAnswer

SIMULATOR_CLASSES: dict[str, type[Simulator]] = {}


def register(cls: type[Simulator]) -> type[Simulator]:
    """Class decorator for provider simulators."""
    SIMULATOR_CLASSES[cls.name] = cls
    return cls


def _load_all() -> None:
    from . import known  # noqa: F401 - imports every provider simulator module


class SimulatorSuite:
    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        providers: list[str] | None = None,
        files_dir: Path | None = None,
    ) -> None:
        _load_all()
        self.config = config or SimConfig()
        root = files_dir or Path(tempfile.mkdtemp(prefix="storyreel-sim-"))
        self.files = FileStore(root, ttl=self.config.output_ttl)
        names = providers or sorted(SIMULATOR_CLASSES)
        self.sims: dict[str, Simulator] = {
            name: SIMULATOR_CLASSES[name](self.config, self.files) for name in names
        }
        self._base_url = ""

    @property
    def base_url(self) -> str:
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._base_url = value.rstrip("/")
        self.files.base_url = self._base_url
        for sim in self.sims.values():
            sim.base_url = self._base_url

    def __getitem__(self, name: str) -> Simulator:
        return self.sims[name]

    def app(self) -> Starlette:
        routes: list[Any] = [
            Route("/_sim/stats", self._stats),
            Route("/_sim/requests", self._requests),
            Route("/_sim/config", self._configure, methods=["POST"]),
            Route("/_sim/reset", self._reset, methods=["POST"]),
            Route("/_sim/files/{name}", self._file),
        ]
        routes += [
            Mount(f"/{name}", app=LoseAnswer(sim, Router(routes=sim.routes())))
            for name, sim in self.sims.items()
        ]
        return Starlette(routes=routes)

    def provider_settings(
        self, name: str, *, api_key: str | None = None, **options: str
    ) -> ProviderSettings:
        """The settings that point a provider at its simulator (``options`` add to or
        override the simulator's own, e.g. a JWKS URL)."""
        return ProviderSettings(
            base_url=self.sims[name].mount_url(),
            api_key=api_key or self.config.api_key,
            options=self.options(name) | options,
        )

    def env(self) -> dict[str, str]:
        """The same settings as STORYREEL_* environment variables."""
        out: dict[str, str] = {}
        for name in self.sims:
            settings = self.provider_settings(name)
            prefix = f"STORYREEL_PROVIDERS__{name.upper()}__"
            out[f"{prefix}BASE_URL"] = settings.base_url or ""
            out[f"{prefix}API_KEY"] = self.config.api_key
            for key, value in settings.options.items():
                out[f"{prefix}OPTIONS__{key.upper()}"] = value
        return out

    def options(self, name: str) -> dict[str, str]:
        options = getattr(self.sims[name], "client_options", None)
        return options() if callable(options) else {}

    async def aclose(self) -> None:
        for sim in self.sims.values():
            await sim.aclose()

    # -- control endpoints ------------------------------------------------------------

    async def _stats(self, request: Request) -> JSONResponse:
        return JSONResponse({name: sim.stats() for name, sim in self.sims.items()})

    async def _requests(self, request: Request) -> JSONResponse:
        name = request.query_params.get("provider")
        chosen = {name: self.sims[name]} if name in self.sims else self.sims
        return JSONResponse({n: list(s.requests) for n, s in chosen.items()})

    async def _configure(self, request: Request) -> JSONResponse:
        body = await request.json()
        for key in ("latency", "video_latency", "fail_rate", "output_ttl"):
            if key in body and not (key == "fail_rate" and body.get("provider")):
                setattr(self.config, key, float(body[key]))
        self.files.ttl = self.config.output_ttl
        targets = [body["provider"]] if body.get("provider") else list(self.sims)
        for name in targets:
            self.sims[name].configure_faults(body)
        return JSONResponse({"ok": True})

    async def _reset(self, request: Request) -> JSONResponse:
        for sim in self.sims.values():
            sim.jobs.clear()
            sim.submissions.clear()
            sim.requests.clear()
            sim.webhooks_sent.clear()
            sim.lose_answers = sim.answers_lost = 0
            sim.answer_delay = 0.0
            sim.own_fail_rate = None
        return JSONResponse({"ok": True})

    async def _file(self, request: Request) -> Response:
        path = self.files.get(request.path_params["name"])
        if path is None:
            return JSONResponse({"detail": "file expired or not found"}, status_code=404)
        return FileResponse(path)
