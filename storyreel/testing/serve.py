"""Serving the simulator suite on a loopback port inside the running event loop."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from storyreel.engine.webhook_server import BackgroundServer

from .simulators import SimConfig, SimulatorSuite


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serve_simulators(
    config: SimConfig | None = None,
    *,
    port: int | None = None,
    providers: list[str] | None = None,
    files_dir: Path | None = None,
) -> AsyncIterator[SimulatorSuite]:
    suite = SimulatorSuite(config, providers=providers, files_dir=files_dir)
    port = port or free_port()
    suite.base_url = f"http://127.0.0.1:{port}"
    server = BackgroundServer(suite.app(), "127.0.0.1", port)
    await server.start()
    try:
        yield suite
    finally:
        await server.stop()
        await suite.aclose()
