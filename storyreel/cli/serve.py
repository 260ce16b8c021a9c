"""``storyreel serve``: the REST API (OpenAPI at /docs and /redoc).

By default the server also runs jobs (the embedded engine); with ``--no-jobs`` (or
``STORYREEL_API__RUN_JOBS=false``) it only queues them for ``storyreel worker`` processes
on the same PostgreSQL and needs no provider key. Bound beyond loopback it refuses to
start without an API key (``--new-key`` makes one).
"""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING, Annotated

import typer

from .common import console, err_console, guard, run, settings

if TYPE_CHECKING:
    from storyreel.config import Settings


async def serve_until_stopped(cfg: Settings, host: str, port: int) -> None:
    # imported on use: keeps `storyreel --help` fast
    from storyreel.api import create_app
    from storyreel.engine.webhook_server import BackgroundServer

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    server = BackgroundServer(create_app(cfg), host, port, lifespan="on")
    await server.start()
    mode = "running jobs here" if cfg.api.run_jobs else "queueing jobs for workers"
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"storyreel API on http://{shown}:{port} ({mode}); docs at /docs", highlight=False
    )
    try:
        await stop.wait()
    finally:
        await server.stop()
    console.print("server stopped")


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Default 8000.")] = None,
    no_jobs: Annotated[
        bool, typer.Option("--no-jobs", help="Only queue jobs; `storyreel worker` runs them.")
    ] = False,
    make_key: Annotated[
        bool,
        typer.Option("--new-key", help="Make an API key, store its hash, print it, and exit."),
    ] = False,
) -> None:
    """Serve the REST API (storyreel's resources, seed 001 and 004 services, OpenAI gateway)."""
    # imported on use: keeps `storyreel --help` fast
    from storyreel.api.security import check_can_serve, key_file, new_key

    cfg = settings()
    with guard():
        if make_key:
            key = new_key(cfg)
            err_console.print(f"key hash stored in {key_file(cfg)}; the key (shown once):")
            console.print(key, highlight=False)
            return
        if no_jobs:
            cfg = cfg.model_copy(update={"api": cfg.api.model_copy(update={"run_jobs": False})})
        bind = host or cfg.api.host
        check_can_serve(cfg, bind)
    run(serve_until_stopped(cfg, bind, port or cfg.api.port))
