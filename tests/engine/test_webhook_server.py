"""The webhook receiver holds at most ``webhook_max_bytes`` of a body in memory.

Real uvicorn server inside a real engine, raw sockets as the sender (so the sender itself
buffers nothing), and the process's resident memory read from /proc/self/statm while a
50 MB body streams in."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from storyreel.config import ProviderSettings, Settings
from storyreel.engine.app import Engine
from storyreel.engine.service import cancel_job, submit_job
from storyreel.engine.webhooks import job_token, webhook_key
from storyreel.testing.serve import free_port
from storyreel.vocabulary import GenerationRequest, Task

SECRET = b"0123456789abcdef0123456789abcdef"
BIG = 50 * 1024 * 1024
CHUNK = b"x" * (64 * 1024)
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


@pytest.fixture
async def receiver(tmp_path: Path) -> AsyncIterator[tuple[Engine, int]]:
    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "data",
        queue_poll_interval=0.05,
        public_url=f"http://127.0.0.1:{port}",
        webhook_listen=f"127.0.0.1:{port}",
        providers={
            "replicate": ProviderSettings(
                api_key="k",
                options={"webhook_secret": "whsec_" + base64.b64encode(SECRET).decode()},
            ),
            "sketch": ProviderSettings(latency=30.0),  # a job that waits for our webhook
        },
    )
    async with Engine(settings) as engine:
        yield engine, port


def path_for(engine: Engine, job_id: str = "job1") -> str:
    assert engine.runtime is not None
    token = job_token(webhook_key(engine.runtime.settings), job_id)
    return f"/webhooks/replicate/{job_id}/{token}"


async def post_raw(port: int, path: str, *, chunked: bool, size: int) -> tuple[int, int]:
    """POST ``size`` bytes of body; return (HTTP status, peak RSS growth while sending)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n".encode()
    )
    status_line = asyncio.create_task(reader.readline())
    start = peak = rss()
    sent = 0
    try:
        while sent < size and not status_line.done():
            writer.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK)
            await writer.drain()
            sent += len(CHUNK)
            peak = max(peak, rss())
        if chunked and not status_line.done():
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except (ConnectionResetError, BrokenPipeError):
        pass
    line = await asyncio.wait_for(status_line, 30)
    peak = max(peak, rss())
    writer.close()
    return int(line.split()[1]), peak - start


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_50_mb_body_gets_413_without_growing_the_process(
    receiver: tuple[Engine, int], chunked: bool
) -> None:
    engine, port = receiver
    await post_raw(port, path_for(engine), chunked=chunked, size=2 * len(CHUNK))  # warm up
    status, growth = await post_raw(port, path_for(engine), chunked=chunked, size=BIG)
    print(f"50 MB {'chunked' if chunked else 'content-length'}: {status}, RSS +{growth} bytes")
    assert status == 413
    assert growth < 5 * 1024 * 1024


async def first_line_without_a_body(port: int, path: str) -> bytes:
    """Send only the headers of a 50 MB POST and return the status code the server
    answers with; an answer proves it did not wait for (or buffer) the body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {BIG}\r\n\r\n".encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
    return line.split()[1]


async def test_a_declared_oversize_body_is_refused_before_it_is_sent(
    receiver: tuple[Engine, int],
) -> None:
    engine, port = receiver
    assert await first_line_without_a_body(port, path_for(engine)) == b"413"


async def test_the_token_is_checked_before_the_body_is_read(
    receiver: tuple[Engine, int],
) -> None:
    _, port = receiver
    assert await first_line_without_a_body(port, "/webhooks/replicate/job1/forged") == b"401"


def signed(body: bytes, msg_id: str = "msg_1") -> dict[str, str]:
    stamp = str(int(time.time()))
    mac = hmac.new(SECRET, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        "content-type": "application/json",
    }


async def test_a_signed_webhook_under_the_limit_is_accepted(
    receiver: tuple[Engine, int],
) -> None:
    engine, port = receiver
    job = await submit_job(
        GenerationRequest(task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt="a fox")
    )
    body = json.dumps({"id": "pred1", "status": "succeeded", "pad": "y" * 500_000}).encode()
    url = f"http://127.0.0.1:{port}{path_for(engine, job.id)}"
    async with httpx2.AsyncClient() as client:
        ok = await client.post(url, content=body, headers=signed(body))
        again = await client.post(url, content=body, headers=signed(body))
        forged = await client.post(url, content=body + b" ", headers=signed(body, "msg_2"))
    assert ok.status_code == 200 and ok.json() == {"status": "accepted"}
    assert again.json() == {"status": "duplicate"}
    assert forged.status_code == 401
    assert engine.runtime is not None
    await cancel_job(engine.runtime, job.id)


MALFORMED = {
    "not json": b"{this is not json",
    "truncated": b'{"id": "pred1", "status": "succ',
    "a list": b'["id", "pred1"]',
    "a number": b"42",
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "bad utf-8": b'{"id": "\xff\xfe"}',
    "no id": b'{"status": "succeeded"}',
    "empty": b"",
}


@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
async def test_a_malformed_but_signed_webhook_is_refused_without_a_server_error(
    receiver: tuple[Engine, int], body: bytes
) -> None:
    """Correctly signed garbage (a provider bug, or a leaked secret) is a 4xx, changes no
    job, and never crashes the receiver."""
    engine, port = receiver
    job = await submit_job(
        GenerationRequest(task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt="an owl")
    )
    url = f"http://127.0.0.1:{port}{path_for(engine, job.id)}"
    async with httpx2.AsyncClient() as client:
        answer = await client.post(url, content=body, headers=signed(body))
        healthy = await client.post(url, content=b"{}", headers={"content-type": "text/plain"})
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    assert healthy.status_code == 401  # the receiver still answers
    assert engine.runtime is not None
    await cancel_job(engine.runtime, job.id)
