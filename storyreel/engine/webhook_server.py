"""The webhook receiver as a tiny ASGI app, and a uvicorn server that runs inside the
engine's event loop. ``POST /webhooks/{provider}/{job_id}/{token}``; the REST API mounts the
same route."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Iterator
from typing import Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from storyreel.errors import ConfigError, StoryreelError

from .runtime import runtime
from .webhooks import accept_webhook, check_token, read_body


async def receive_webhook(request: Request) -> JSONResponse:
    """Unauthenticated senders can reach this, so the cheap checks come first: the declared
    size, the job token, then the body, read with a cap (413 past it)."""
    params = request.path_params
    rt = runtime()
    try:
        check_token(rt, params["job_id"], params["token"])
        body = await read_body(request, rt.settings.webhook_max_bytes)
        outcome = await accept_webhook(
            rt, params["provider"], params["job_id"], params["token"], dict(request.headers), body
        )
    except StoryreelError as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.http_status)
    return JSONResponse({"status": outcome})


ROUTES = [Route("/webhooks/{provider}/{job_id}/{token}", receive_webhook, methods=["POST"])]


def webhook_app() -> Starlette:
    return Starlette(routes=ROUTES)


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class BackgroundServer:
    """Serve an ASGI app on host:port as a task of the running loop."""

    def __init__(
        self, app: Starlette, host: str, port: int, *, lifespan: Literal["on", "off"] = "off"
    ) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan=lifespan)
        self.server = EmbeddedServer(config)
        self.task: asyncio.Task[None] | None = None

    def _listen(self) -> socket.socket:
        """Bind here, not in uvicorn (which logs and exits the process on a busy port), so a
        busy port is one ConfigError line."""
        host, port = self.server.config.host, self.server.config.port
        try:
            family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
            return socket.create_server((host, port), family=family)
        except OSError as exc:
            busy = exc.errno == errno.EADDRINUSE
            why = "the port is already in use by another process" if busy else str(exc)
            raise ConfigError(f"cannot listen on {host}:{port}: {why}") from None

    async def start(self) -> None:
        sock = self._listen()
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            if self.task.done():
                self.task.result()
                raise RuntimeError("server stopped before it started")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
