"""The body limit, driven as bare ASGI: a declared length over the limit is refused before
the app runs, a bad Content-Length is a 400, a chunked body is cut off as soon as it passes
the limit, and a body within it reaches the app whole."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from storyreel.api.limits import BodyLimit


class App:
    """Reads the whole body, then answers 200 with its length."""

    def __init__(self) -> None:
        self.called = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})


def call(
    chunks: list[bytes], *, length: bytes | None = None, limit: int = 10
) -> tuple[App, list[Message], int]:
    app = App()
    headers = [] if length is None else [(b"content-length", length)]
    scope: dict[str, Any] = {"type": "http", "headers": headers}
    pending = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        read += 1
        return pending.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(BodyLimit(app, limit)(scope, receive, send))
    return app, sent, read


def status_and_detail(sent: list[Message]) -> tuple[int, Any]:
    body = sent[1]["body"]
    return sent[0]["status"], json.loads(body) if sent[0]["status"] != 200 else body


def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    app, sent, _ = call([b"12345", b"67890"], length=b"10")
    assert app.called
    assert status_and_detail(sent) == (200, b"10")


def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs() -> None:
    app, sent, read = call([b"x" * 11], length=b"11")
    assert not app.called and read == 0
    assert status_and_detail(sent) == (413, {"detail": "request body larger than 10 bytes"})


def test_a_bad_content_length_is_a_400() -> None:
    for bad in (b"ten", b"-1"):
        app, sent, _ = call([b"x"], length=bad)
        assert not app.called
        assert status_and_detail(sent) == (400, {"detail": "bad Content-Length"})


def test_a_chunked_body_is_cut_off_when_it_passes_the_limit() -> None:
    app, sent, read = call([b"123456", b"789012", b"never read"])
    assert app.called
    assert read == 2  # the third chunk is never asked for
    assert status_and_detail(sent)[0] == 413
    assert len(sent) == 2  # one answer, not the app's as well


def test_other_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def never() -> Message:
        raise AssertionError

    async def ignore(message: Message) -> None:
        raise AssertionError

    asyncio.run(BodyLimit(app, 0)({"type": "lifespan"}, never, ignore))
    assert seen == ["lifespan"]
