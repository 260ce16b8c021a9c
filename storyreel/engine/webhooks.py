"""Webhooks in: check the job token, let the provider verify the signature, drop
duplicates, wake the job's workflow.

A webhook only wakes the workflow; the workflow's next poll decides the outcome. So an
unsigned provider's webhook (ModelsLab) can never mark a job done by itself, and a signed
one saves the wait until the next poll.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from dbos import DBOS
from sqlalchemy.exc import IntegrityError

from storyreel.config import Settings
from storyreel.errors import InputError, WebhookRejected
from storyreel.store.models import WebhookEvent

from .runtime import Runtime

if TYPE_CHECKING:
    from starlette.requests import Request


#: ``DBOS.send_async`` or ``DBOSClient.send_async``: (workflow id, message, topic, key).
Send = Callable[..., Awaitable[None]]

log = structlog.get_logger(__name__)

WEBHOOK_TOPIC = "webhook"


class WebhookTooLarge(InputError):
    """A webhook body over ``settings.webhook_max_bytes`` (HTTP 413)."""

    http_status = 413


def webhook_key(settings: Settings) -> bytes:
    """The key for job tokens: from settings, or a random one kept in the data dir."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value().encode()
    path: Path = settings.data_path / "webhook.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def job_token(key: bytes, job_id: str) -> str:
    return hmac.new(key, job_id.encode(), hashlib.sha256).hexdigest()[:32]


def webhook_url(settings: Settings, provider: str, job_id: str) -> str | None:
    """The URL a provider should call for this job, or None when webhooks are off."""
    if not settings.public_url:
        return None
    token = job_token(webhook_key(settings), job_id)
    return f"{settings.public_url.rstrip('/')}/webhooks/{provider}/{job_id}/{token}"


def check_token(rt: Runtime, job_id: str, token: str) -> None:
    """WebhookRejected unless ``token`` is this job's: checked before the body is read,
    so a stranger's POST costs us no memory."""
    expected = job_token(webhook_key(rt.settings), job_id)
    if not hmac.compare_digest(expected, token):
        raise WebhookRejected("webhook token does not match the job")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, never holding more than ``limit`` bytes: a declared
    Content-Length over it is refused unread, a chunked body is counted while it streams."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InputError("bad Content-Length")
        if int(declared) > limit:
            raise WebhookTooLarge(f"webhook body larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise WebhookTooLarge(f"webhook body larger than {limit} bytes")
    return bytes(body)


async def accept_webhook(
    rt: Runtime,
    provider_name: str,
    job_id: str,
    token: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    send: Send | None = None,
) -> str:
    """Verify and deliver one webhook. Returns "accepted" or "duplicate"; raises
    WebhookRejected for anything forged, replayed or addressed to another job. ``send``
    delivers the message (default: this process's DBOS; an API-only server passes its
    ``DBOSClient.send_async``)."""
    if len(body) > rt.settings.webhook_max_bytes:
        raise WebhookTooLarge("webhook body too large")
    check_token(rt, job_id, token)
    provider = rt.provider(provider_name)
    try:
        event = await provider.parse_webhook(headers, body)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        # Signed or not, a body a parser chokes on (garbage, nesting 100k deep) is the
        # sender's fault: a 4xx, never a crashed receiver.
        raise InputError(f"malformed {provider_name} webhook body: {type(exc).__name__}") from None
    event_id = event.event_id or hashlib.sha256(body).hexdigest()
    try:
        async with rt.db.session() as session:
            session.add(WebhookEvent(provider=provider_name, event_id=event_id, job_id=job_id))
    except IntegrityError:
        log.info("webhook duplicate", job_id=job_id, provider=provider_name, event_id=event_id)
        return "duplicate"
    await (send or DBOS.send_async)(
        job_id,
        {"request_id": event.request_id, "state": event.state},
        topic=WEBHOOK_TOPIC,
        idempotency_key=f"{provider_name}:{event_id}",
    )
    log.info(
        "webhook received",
        job_id=job_id,
        provider=provider_name,
        event_id=event_id,
        state=event.state.value if event.state else None,
    )
    return "accepted"
