"""The FastAPI application: lifespan (store, engine or DBOS client), auth, limits, CORS,
the error handler, and the routers.

Paths (the README's API section lists them):

- ``/api/v1/...``  storyreel's own resources (jobs, images, videos, stories, characters,
  assets, models, estimates, events);
- ``/``, ``/generate``, ``/generate-video``, ``/generate-video/info``, ``/health``: seed
  001's service, unchanged;
- ``/jobs``, ``/images``, ``/images/models``: seed 004's service, unchanged (its integer ids);
- ``/v1/images/generations``, ``/v1/images/edits``, ``/v1/models``: the OpenAI gateway;
- ``/webhooks/{provider}/{job_id}/{token}``: provider webhooks (their own per-job token);
- ``/ui/...``: the web UI (``storyreel.web``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

import storyreel
from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.engine.app import Engine
from storyreel.engine.events import route_to_stdlib_logging
from storyreel.engine.service import open_client
from storyreel.services.story_runs import StoryRuns

from . import errors
from .limits import BodyLimit
from .local import local_device_report
from .routes import (
    bulk,
    catalog,
    gateway,
    jobs,
    library,
    media,
    seed001,
    seed004,
    stories,
    story_store,
    system,
)
from .security import KeyCheck, known_hashes
from .state import ApiState


@asynccontextmanager
async def _open_state(settings: Settings) -> AsyncIterator[ApiState]:
    """Run the engine here (``api.run_jobs``), or open the store and a DBOS client only,
    so an API-only process needs no provider key and executes nothing."""
    catalog_ = Catalog.load(settings)
    if settings.api.run_jobs:
        engine = Engine(settings)
        await engine.start()
        try:
            assert engine.runtime is not None
            state = ApiState(
                settings,
                engine.runtime,
                catalog_,
                engine=engine,
                device_report=local_device_report(settings),
                story_runs=StoryRuns(settings, engine),
            )
            yield state
        finally:
            assert state.story_runs is not None
            await state.story_runs.close()
            await state.http.aclose()
            await engine.stop()
        return
    route_to_stdlib_logging()  # job events go to the log, as in an engine process
    async with open_client(settings) as (rt, client):
        state = ApiState(settings, rt, catalog_, client=client)
        try:
            yield state
        finally:
            await state.http.aclose()


def create_app(settings: Settings, *, state: ApiState | None = None) -> FastAPI:
    """The app for ``settings``. ``state``: an already opened state (tests, embedding);
    otherwise the lifespan opens one."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state is not None:
            app.state.api = state
            yield
            return
        async with _open_state(settings) as opened:
            app.state.api = opened
            yield

    app = FastAPI(
        title="storyreel",
        version=storyreel.__version__,
        description="Story-driven image and video generation on a durable job engine. "
        'Errors are JSON {"detail": "..."}; protected routes take '
        "'Authorization: Bearer <key>' when keys are configured.",
        lifespan=lifespan,
    )
    if state is not None:
        app.state.api = state
    errors.install(app)
    auth = [Depends(KeyCheck(known_hashes(settings)))]
    for module in (jobs, media, library, catalog, stories, story_store, bulk):
        app.include_router(module.router, prefix="/api/v1", dependencies=auth)
    app.include_router(system.api_router, prefix="/api/v1")
    app.include_router(seed004.router, dependencies=auth)
    app.include_router(gateway.router, prefix="/v1", dependencies=auth)
    app.include_router(seed001.open_router)
    app.include_router(seed001.router, dependencies=auth)
    app.include_router(system.webhook_router)
    from storyreel.web import mount_ui  # the UI imports the API's security and state

    mount_ui(app, settings)
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimit, max_bytes=settings.api.max_body_bytes)
    return app
