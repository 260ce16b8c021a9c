"""A TCP proxy that can cut a database (or any server) off for a while.

Restarting a shared PostgreSQL server to test what storyreel does when its database blips
would break everyone else's work on that server. Instead, point storyreel at this proxy and
call ``cut(seconds)``: every connection through it is dropped at once (as a server restart
drops them) and new connections are refused until the time is up, then it forwards again.

``TcpProxy`` runs in the caller's event loop; ``ThreadedTcpProxy`` runs one on a thread of
its own, for synchronous tests that drive storyreel in a subprocess.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from types import TracebackType

_CHUNK = 64 * 1024


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target_host:target_port`` until ``cut``."""

    def __init__(self, target_host: str, target_port: int, *, listen_port: int = 0) -> None:
        self.target = (target_host, target_port)
        self._listen_port = listen_port
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._refuse_until = 0.0
        #: Connections accepted and forwarded, and connections refused during a cut.
        self.accepted = 0
        self.forwarded = 0  # bytes carried either way: traffic on pooled connections too
        self.refused = 0

    @property
    def port(self) -> int:
        assert self._server is not None, "start the proxy first"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def is_cut(self) -> bool:
        return time.monotonic() < self._refuse_until

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self._listen_port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._drop_all()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def cut(self, seconds: float) -> None:
        """Drop every open connection now and refuse new ones for ``seconds``."""
        self._refuse_until = time.monotonic() + seconds
        await self._drop_all()

    def restore(self) -> None:
        """End a cut early: accept and forward again from now on."""
        self._refuse_until = 0.0

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            _abort(writer)
        pipes = list(self._pipes)
        for pipe in pipes:
            pipe.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.is_cut:
            self.refused += 1
            _abort(writer)  # a reset, as from a port nobody listens on
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _abort(writer)
            return
        self.accepted += 1
        self._writers |= {writer, up_writer}
        pipes = [
            asyncio.ensure_future(_pump(reader, up_writer, self)),
            asyncio.ensure_future(_pump(up_reader, writer, self)),
        ]
        self._pipes.update(pipes)
        try:
            # Either side closing ends the pair, like a real connection.
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pipe in pipes:
                pipe.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)
            self._pipes.difference_update(pipes)
            for w in (writer, up_writer):
                self._writers.discard(w)
                _abort(w)


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, proxy: TcpProxy
) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(_CHUNK):
            proxy.forwarded += len(data)
            writer.write(data)
            await writer.drain()


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close at once, discarding buffers: the peer sees its connection die mid-stream."""
    with contextlib.suppress(Exception):
        writer.transport.abort()


class ThreadedTcpProxy:
    """A ``TcpProxy`` on its own event loop thread, controlled from synchronous code.

    ``with ThreadedTcpProxy("127.0.0.1", 5432) as proxy: ... proxy.cut(10) ...``
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.proxy = TcpProxy(target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.proxy.port

    def start(self) -> None:
        self._thread.start()
        self._call(self.proxy.start())

    def cut(self, seconds: float) -> None:
        self._call(self.proxy.cut(seconds))

    def restore(self) -> None:
        self._loop.call_soon_threadsafe(self.proxy.restore)

    def stop(self) -> None:
        try:
            self._call(self.proxy.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def _call(self, coro: object) -> None:
        assert asyncio.iscoroutine(coro)
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    def __enter__(self) -> ThreadedTcpProxy:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()
