"""The provider webhook route as the API serves it: unauthenticated senders reach it, so
the job token is checked before the body is read, a streamed body is cut off at its cap,
and a body the provider cannot vouch for is refused; none of them touches the job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from storyreel.config import Settings
from storyreel.engine.webhooks import job_token

from .conftest import api_settings, running_api

SECRET = "webhook-test-secret"


def _settings(tmp_path: Path) -> Settings:
    return api_settings(tmp_path, settings={"webhook_secret": SECRET, "webhook_max_bytes": 1024})


async def test_a_forged_token_is_refused_before_the_body(tmp_path: Path) -> None:
    async with running_api(_settings(tmp_path)) as (client, _state):
        wrong = job_token(SECRET.encode(), "another-job")
        answer = await client.post(f"/webhooks/fal/job1/{wrong}", content=b"{}")
        assert answer.status_code == 401
        assert answer.json() == {"detail": "webhook token does not match the job"}


async def test_a_streamed_body_past_the_cap_is_cut_off(tmp_path: Path) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):  # 64 KiB, no Content-Length: counted while it streams
            yield b"x" * 1024

    async with running_api(_settings(tmp_path)) as (client, _state):
        token = job_token(SECRET.encode(), "job1")
        answer = await client.post(f"/webhooks/fal/job1/{token}", content=chunks())
        assert answer.status_code == 413
        assert "detail" in answer.json()


async def test_an_unsigned_delivery_with_a_good_token_is_refused(tmp_path: Path) -> None:
    """The token names the job; the provider's signature vouches for the body. A body
    without fal's signature headers is not accepted, whatever its token."""
    async with running_api(_settings(tmp_path)) as (client, _state):
        token = job_token(SECRET.encode(), "job1")
        answer = await client.post(
            f"/webhooks/fal/job1/{token}", json={"request_id": "r1", "status": "OK"}
        )
        assert answer.status_code in (400, 401), answer.text  # not 404: the route is there
        assert "signature" in answer.json()["detail"]
