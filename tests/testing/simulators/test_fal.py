"""fal's official Python client (fal-client 1.0.3) against storyreel's fal simulator: the
simulator checked by a client nobody here wrote.

fal_client only builds ``https://`` URLs. Its queue and run hosts come from
``FAL_QUEUE_RUN_HOST``/``FAL_RUN_HOST``, read once when ``fal_client.auth`` is imported and
baked into ``fal_client.client.QUEUE_URL_FORMAT``/``RUN_URL_FORMAT`` at import; ``REST_URL``
(CDN tokens) and ``CDN_URL`` (v3 uploads) are plain constants. So the suite is served over
TLS with a throwaway CA that httpx trusts through ``SSL_CERT_FILE`` (read each time
fal_client creates an httpx client), the env vars are set, and those four module constants
are re-derived from them the way fal_client's import does. Every request still goes
through fal_client's own request, retry and parsing code.

fal_client 1.0.3 has no webhook verification helper, so the delivered webhook is verified
with fal's documented scheme (Ed25519 over request id, user id, timestamp and the body's
SHA-256, keys from the JWKS) written out here, independently of storyreel's adapter.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import fal_client
import fal_client.client
import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from storyreel.engine.webhook_server import BackgroundServer
from storyreel.media.images import image_to_png
from storyreel.testing.serve import free_port
from storyreel.testing.simulators import SimConfig, SimJob, SimulatorSuite
from storyreel.testing.simulators.fal import FalSimulator

from ..tls import TlsServer, make_tls_files

APP = "fal-ai/flux-2/turbo"
PNG = b"\x89PNG\r\n\x1a\n"
StatusT = TypeVar("StatusT", bound=fal_client.Status)


@dataclass
class FalEnv:
    suite: SimulatorSuite
    sim: FalSimulator
    base: str  # https://127.0.0.1:<port>
    hook_url: str
    hooks: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    hook_arrived: asyncio.Event = field(default_factory=asyncio.Event)


def forget_cached_clients() -> None:
    """fal_client's module-level client caches, on first use, its httpx client (and so the
    CA it trusted), its credentials and its CDN token manager (and so the REST URL)."""
    cached = fal_client.sync_client.__dict__
    client = cached.pop("_client", None)
    if isinstance(client, httpx.Client):
        client.close()
    cached.pop("_auth", None)
    cached.pop("_token_manager", None)


@pytest.fixture
async def fal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FalEnv]:
    tls = make_tls_files(tmp_path / "tls")
    suite = SimulatorSuite(
        SimConfig(latency=0.2, webhook_backoff=0.05),
        providers=["fal"],
        files_dir=tmp_path / "sim-files",
    )
    port, hook_port = free_port(), free_port()
    suite.base_url = f"https://127.0.0.1:{port}"
    server = TlsServer(suite.app(), "127.0.0.1", port, tls)
    sim = suite["fal"]
    assert isinstance(sim, FalSimulator)
    env = FalEnv(suite, sim, suite.base_url, f"http://127.0.0.1:{hook_port}/hook")

    async def receive(request: Request) -> JSONResponse:
        env.hooks.append((dict(request.headers), await request.body()))
        env.hook_arrived.set()
        return JSONResponse({"ok": True})

    receiver = BackgroundServer(
        Starlette(routes=[Route("/hook", receive, methods=["POST"])]), "127.0.0.1", hook_port
    )
    await server.start()
    await receiver.start()

    host = f"127.0.0.1:{port}/fal"  # the simulator is mounted at /fal
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    monkeypatch.setenv("FAL_KEY", suite.config.api_key)
    monkeypatch.setenv("FAL_RUN_HOST", host)
    monkeypatch.setenv("FAL_QUEUE_RUN_HOST", host)
    module = fal_client.client
    monkeypatch.setattr(module, "RUN_URL_FORMAT", f"https://{os.environ['FAL_RUN_HOST']}/")
    monkeypatch.setattr(module, "QUEUE_URL_FORMAT", f"https://{os.environ['FAL_QUEUE_RUN_HOST']}/")
    monkeypatch.setattr(module, "REST_URL", f"https://{host}")
    monkeypatch.setattr(module, "CDN_URL", f"https://{host}")
    forget_cached_clients()
    yield env
    forget_cached_clients()
    # fal_client 1.0.3 never closes the httpx client it makes for each upload; collecting it
    # closes its keep-alive connection, else the server's TLS shutdown waits 30 s for it.
    gc.collect()
    await receiver.stop()
    await server.stop()
    await suite.aclose()


def hold_jobs(
    sim: FalSimulator, monkeypatch: pytest.MonkeyPatch
) -> tuple[asyncio.Event, asyncio.Event]:
    """Keep new jobs queued until ``start`` is set and in progress until ``finish`` is set,
    so every state is observed without racing the clock."""
    start, finish = asyncio.Event(), asyncio.Event()
    run, render = sim._run, sim._render

    async def gated_run(job: SimJob) -> None:
        await start.wait()
        await run(job)

    async def gated_render(job: SimJob) -> list[str]:
        await finish.wait()
        return await render(job)

    monkeypatch.setattr(sim, "_run", gated_run)
    monkeypatch.setattr(sim, "_render", gated_render)
    return start, finish


async def status_until(
    handle: fal_client.SyncRequestHandle, wanted: type[StatusT]
) -> tuple[StatusT, list[fal_client.Status]]:
    seen: list[fal_client.Status] = []
    for _ in range(500):
        status = await asyncio.to_thread(handle.status, with_logs=True)
        seen.append(status)
        if isinstance(status, wanted):
            return status, seen
        await asyncio.sleep(0.02)
    raise AssertionError(f"never reached {wanted.__name__}: {seen[-3:]}")


def fetch(url: str) -> bytes:
    response = httpx.get(url)  # httpx honours SSL_CERT_FILE like fal_client's own clients
    response.raise_for_status()
    return response.content


def verify_fal_webhook(headers: dict[str, str], body: bytes, jwks: dict[str, Any]) -> bool:
    """fal's documented check, written from the docs (fal_client 1.0.3 has no helper)."""
    h = {k.lower(): v for k, v in headers.items()}
    if abs(time.time() - int(h["x-fal-webhook-timestamp"])) > 300:
        return False
    message = "\n".join(
        [
            h["x-fal-webhook-request-id"],
            h["x-fal-webhook-user-id"],
            h["x-fal-webhook-timestamp"],
            hashlib.sha256(body).hexdigest(),
        ]
    ).encode()
    signature = bytes.fromhex(h["x-fal-webhook-signature"])
    for key in jwks["keys"]:
        raw = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
        try:
            Ed25519PublicKey.from_public_bytes(raw).verify(signature, message)
        except InvalidSignature:
            continue
        return True
    return False


async def test_submit_status_result_and_a_signed_webhook(
    fal: FalEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    start, finish = hold_jobs(fal.sim, monkeypatch)
    arguments = {"prompt": "a lighthouse at dusk", "image_size": {"width": 512, "height": 384}}
    handle = await asyncio.to_thread(fal_client.submit, APP, arguments, webhook_url=fal.hook_url)
    assert handle.status_url.startswith(f"{fal.base}/fal/fal-ai/flux-2/requests/")
    assert fal.sim.jobs[handle.request_id].webhook == fal.hook_url

    queued = await asyncio.to_thread(handle.status, with_logs=True)
    assert isinstance(queued, fal_client.Queued) and queued.position == 0
    # The module-level helper builds the URL itself, from FAL_QUEUE_RUN_HOST.
    rebuilt = await asyncio.to_thread(fal_client.status, APP, handle.request_id, with_logs=True)
    assert isinstance(rebuilt, fal_client.Queued)

    start.set()
    running, _ = await status_until(handle, fal_client.InProgress)
    assert running.logs and running.logs[0]["message"] == "model loaded"
    assert {"message", "level", "source", "timestamp"} <= set(running.logs[0])
    finish.set()
    done, seen = await status_until(handle, fal_client.Completed)
    assert done.error is None and done.logs is not None
    assert "inference_time" in done.metrics
    assert not any(isinstance(s, fal_client.Queued) for s in seen), "states never go back"

    result = await asyncio.to_thread(handle.get)
    [image] = result["images"]
    assert image["url"].startswith(fal.base) and image["content_type"] == "image/png"
    assert (await asyncio.to_thread(fal_client.result, APP, handle.request_id)) == result
    assert (await asyncio.to_thread(fetch, image["url"]))[:8] == PNG

    await asyncio.wait_for(fal.hook_arrived.wait(), 30)
    headers, body = fal.hooks[0]
    jwks = json.loads(await asyncio.to_thread(fetch, f"{fal.base}/fal/.well-known/jwks.json"))
    assert verify_fal_webhook(headers, body, jwks)
    assert not verify_fal_webhook(headers, body + b" ", jwks)
    payload = json.loads(body)
    assert payload["status"] == "OK" and payload["request_id"] == handle.request_id
    assert payload["payload"] == result


async def test_cancel_then_subscribe(fal: FalEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    start, finish = hold_jobs(fal.sim, monkeypatch)
    handle = await asyncio.to_thread(fal_client.submit, APP, {"prompt": "never drawn"})
    await asyncio.to_thread(fal_client.cancel, APP, handle.request_id)
    status = await asyncio.to_thread(handle.status, with_logs=True)
    assert isinstance(status, fal_client.Completed)
    assert status.error_type == "request_cancelled"
    with pytest.raises(fal_client.FalClientHTTPError) as again:
        await asyncio.to_thread(handle.cancel)
    assert again.value.status_code == 400
    with pytest.raises(fal_client.FalClientHTTPError) as gone:
        await asyncio.to_thread(handle.get)
    assert gone.value.status_code == 422
    assert fal.sim.jobs[handle.request_id].state == "canceled"

    start.set()
    finish.set()
    updates: list[fal_client.Status] = []
    result = await asyncio.to_thread(
        fal_client.subscribe,
        APP,
        {"prompt": "two panels", "num_images": 2},
        with_logs=True,
        on_queue_update=updates.append,
        interval=0.02,
    )
    assert len(result["images"]) == 2
    assert isinstance(updates[-1], fal_client.Completed)


async def test_upload_fetches_a_cdn_token_then_uploads(fal: FalEnv) -> None:
    data = image_to_png(Image.new("RGB", (32, 32), "orange"))
    url = await asyncio.to_thread(fal_client.upload, data, "image/png")
    assert url.startswith(fal.base)
    assert await asyncio.to_thread(fetch, url) == data
    await asyncio.to_thread(fal_client.upload, b"second file", "image/webp", "second.webp")
    assert fal.sim.uploads == 2
    tokens = [r for r in fal.sim.requests if r["path"].endswith("/storage/auth/token")]
    assert len(tokens) == 1, "an unexpired CDN token is reused"


async def test_the_async_client_subscribes_and_uploads(fal: FalEnv) -> None:
    client = fal_client.AsyncClient(key=fal.suite.config.api_key)
    try:
        result = await client.subscribe(APP, {"prompt": "async"}, with_logs=True, interval=0.02)
        assert result["images"][0]["url"].startswith(fal.base)
        url = await client.upload(b"bytes", "image/png")
        assert url.startswith(fal.base)
    finally:
        await (await client._client).aclose()


async def test_errors_are_fal_client_http_errors(fal: FalEnv) -> None:
    wrong = fal_client.SyncClient(key="not-the-key")
    try:
        with pytest.raises(fal_client.FalClientHTTPError) as denied:
            await asyncio.to_thread(wrong.submit, APP, {"prompt": "x"})
    finally:
        wrong._client.close()
    assert denied.value.status_code == 401
    with pytest.raises(fal_client.FalClientHTTPError) as invalid:
        await asyncio.to_thread(fal_client.submit, "fal-ai/flux-2-pro/edit", {"prompt": "x"})
    assert invalid.value.status_code == 422
    detail: Any = invalid.value.message  # fal_client passes the 422 detail list through
    assert detail[0]["loc"] == ["body", "image_urls"]
    with pytest.raises(fal_client.FalClientHTTPError) as unknown:
        await asyncio.to_thread(fal_client.submit, "fal-ai/no-such-app", {"prompt": "x"})
    assert unknown.value.status_code == 404
    assert sum(fal.sim.submissions.values()) == 0

    fal.sim.burst_429 = 2  # fal_client retries 429 itself, with backoff
    handle = await asyncio.to_thread(fal_client.submit, APP, {"prompt": "x"})
    assert fal.sim.burst_429 == 0 and sum(fal.sim.submissions.values()) == 1
    assert handle.request_id in fal.sim.jobs
