"""The TCP proxy the database-blip tests put between storyreel and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from storyreel.testing.tcp_proxy import TcpProxy, ThreadedTcpProxy


async def _echo_server() -> asyncio.Server:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(1024):
                writer.write(data)
                await writer.drain()
        writer.close()

    return await asyncio.start_server(echo, "127.0.0.1", 0)


async def _roundtrip(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), 5)
    finally:
        writer.close()


async def test_forwards_then_cuts_open_connections_and_refuses_new_ones_for_a_while() -> None:
    server = await _echo_server()
    target_port = server.sockets[0].getsockname()[1]
    async with server, TcpProxy("127.0.0.1", target_port) as proxy:
        assert await _roundtrip(proxy.port, b"hello") == b"hello"

        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"x")
        assert await reader.readexactly(1) == b"x"
        await proxy.cut(0.5)
        with pytest.raises((OSError, asyncio.IncompleteReadError)):
            writer.write(b"y")
            await writer.drain()
            await asyncio.wait_for(reader.readexactly(1), 5)
        writer.close()

        with pytest.raises((OSError, asyncio.IncompleteReadError)):
            await _roundtrip(proxy.port, b"refused")
        assert proxy.refused >= 1

        await asyncio.sleep(0.6)
        assert not proxy.is_cut
        assert await _roundtrip(proxy.port, b"back") == b"back"


async def test_the_threaded_proxy_is_driven_from_synchronous_code() -> None:
    server = await _echo_server()
    target_port = server.sockets[0].getsockname()[1]
    async with server:
        proxy = ThreadedTcpProxy("127.0.0.1", target_port)
        await asyncio.to_thread(proxy.start)
        try:
            assert await _roundtrip(proxy.port, b"one") == b"one"
            await asyncio.to_thread(proxy.cut, 0.3)
            with pytest.raises((OSError, asyncio.IncompleteReadError)):
                await _roundtrip(proxy.port, b"two")
            await asyncio.sleep(0.4)
            assert await _roundtrip(proxy.port, b"three") == b"three"
        finally:
            await asyncio.to_thread(proxy.stop)
