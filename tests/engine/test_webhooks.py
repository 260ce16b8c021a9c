"""Webhooks in, without a running engine: the job token, the size cap on a streamed body,
and delivery: a forged token, a body the provider's parser chokes on and a replayed event
are each refused or dropped before anything wakes a workflow."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.requests import Request

from storyreel.config import Settings
from storyreel.engine.webhooks import (
    WebhookTooLarge,
    accept_webhook,
    check_token,
    job_token,
    read_body,
    webhook_key,
    webhook_url,
)
from storyreel.errors import InputError, WebhookRejected
from storyreel.providers.types import JobState, WebhookEvent
from storyreel.store.db import Database, migrate


def test_a_generated_key_is_private_and_stable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    settings.data_path.mkdir(parents=True, exist_ok=True)
    key = webhook_key(settings)
    assert key == webhook_key(settings) and len(key) == 64
    assert stat.S_IMODE((settings.data_path / "webhook.key").stat().st_mode) == 0o600
    configured = Settings(data_dir=tmp_path, webhook_secret=SecretStr("s3cret"))
    assert webhook_key(configured) == b"s3cret"


def test_urls_carry_a_per_job_token(tmp_path: Path) -> None:
    off = Settings(data_dir=tmp_path, webhook_secret=SecretStr("k"))
    assert webhook_url(off, "fal", "job1") is None
    on = Settings(data_dir=tmp_path, webhook_secret=SecretStr("k"), public_url="https://x.test/")
    url = webhook_url(on, "fal", "job1")
    assert url == f"https://x.test/webhooks/fal/job1/{job_token(b'k', 'job1')}"
    assert job_token(b"k", "job1") != job_token(b"k", "job2")
    assert job_token(b"k", "job1") != job_token(b"other", "job1")


def _request(chunks: list[bytes], headers: Mapping[str, str]) -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/webhooks/x",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    pending = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    return Request(scope, receive)


async def test_read_body_caps_declared_and_streamed_sizes() -> None:
    assert await read_body(_request([b"ab", b"cd"], {}), 4) == b"abcd"
    with pytest.raises(WebhookTooLarge):
        await read_body(_request([b"x"], {"content-length": "5"}), 4)
    with pytest.raises(WebhookTooLarge):  # chunked: no length, counted while streaming
        await read_body(_request([b"abc", b"def"], {}), 4)
    with pytest.raises(InputError, match="Content-Length"):
        await read_body(_request([b"x"], {"content-length": "-1"}), 4)


class _Provider:
    """Parses ``{"id": ...}`` bodies; raises what a real parser raises on garbage."""

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        if body == b"garbage":
            raise ValueError("not json")
        if headers.get("x-forged"):
            raise WebhookRejected("signature does not verify")
        return WebhookEvent(request_id="r1", state=JobState.SUCCEEDED, event_id=body.decode())


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[SimpleNamespace]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    db = Database(url)
    settings = Settings(data_dir=tmp_path, webhook_secret=SecretStr("k"), webhook_max_bytes=64)
    try:
        yield SimpleNamespace(settings=settings, db=db, provider=lambda name: _Provider())
    finally:
        await db.close()


async def test_delivery_refuses_forgeries_and_drops_replays(runtime: SimpleNamespace) -> None:
    sent: list[tuple[Any, ...]] = []

    async def send(*args: Any, **kwargs: Any) -> None:
        sent.append((*args, kwargs["idempotency_key"]))

    rt: Any = runtime
    token = job_token(b"k", "job1")
    with pytest.raises(WebhookRejected):
        check_token(rt, "job1", job_token(b"k", "job2"))
    with pytest.raises(WebhookRejected):
        await accept_webhook(rt, "fal", "job1", "0" * 32, {}, b"evt1", send=send)
    with pytest.raises(WebhookRejected):
        await accept_webhook(rt, "fal", "job1", token, {"x-forged": "1"}, b"evt1", send=send)
    with pytest.raises(InputError, match="malformed fal webhook"):
        await accept_webhook(rt, "fal", "job1", token, {}, b"garbage", send=send)
    with pytest.raises(WebhookTooLarge):
        await accept_webhook(rt, "fal", "job1", token, {}, b"x" * 65, send=send)
    assert sent == []
    assert await accept_webhook(rt, "fal", "job1", token, {}, b"evt1", send=send) == "accepted"
    assert await accept_webhook(rt, "fal", "job1", token, {}, b"evt1", send=send) == "duplicate"
    assert len(sent) == 1
    job, message, key = sent[0]
    assert job == "job1" and message["request_id"] == "r1" and key == "fal:evt1"
