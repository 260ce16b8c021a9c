"""The Replicate adapter against its simulator, without the engine: request mapping for
every catalogued model, the status/error mapping, uploads, cancel, deadlines, the blocking
create, webhook verification, and the simulator's own wire details (pagination, webhook
filters and retries, data removal)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import standardwebhooks
from PIL import Image

import storyreel.catalog
import storyreel.providers.replicate as replicate_module
from storyreel.config import ProviderSettings
from storyreel.errors import FailureReason, InputError, ProviderAPIError, WebhookRejected
from storyreel.media.images import image_to_png
from storyreel.providers.base import ProviderContext
from storyreel.providers.replicate import ReplicateProvider
from storyreel.providers.replicate_models import LAMA_VERSION, MODELS
from storyreel.providers.replicate_predictions import status_of
from storyreel.providers.types import Handle, JobState
from storyreel.store.assets import AssetStore
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.testing.simulators.replicate import ReplicateSimulator, parse_cancel_after
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

KEY = "sim-key"


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    config = SimConfig(latency=0.2, video_latency=0.3, webhook_backoff=0.01, webhook_attempts=3)
    async with serve_simulators(
        config, providers=["replicate"], files_dir=tmp_path / "sim-files"
    ) as sims:
        yield sims


def sim_of(suite: SimulatorSuite) -> ReplicateSimulator:
    sim = suite["replicate"]
    assert isinstance(sim, ReplicateSimulator)
    return sim


def make_provider(
    suite: SimulatorSuite, tmp_path: Path, *, key: str = KEY, **options: str
) -> ReplicateProvider:
    return ReplicateProvider(
        ProviderContext(
            settings=ProviderSettings(
                base_url=suite["replicate"].mount_url(), api_key=key, options=options
            ),
            assets=AssetStore(tmp_path / "assets"),
            scratch_dir=tmp_path / "scratch",
        )
    )


def ref(provider: ReplicateProvider, role: RefRole, colour: str = "orange") -> Reference:
    sha, _ = provider.ctx.assets.put(image_to_png(Image.new("RGB", (64, 64), colour)), "image/png")
    return Reference(role=role, asset=sha, mime="image/png")


def request(model: str, task: Task = Task.TEXT_TO_IMAGE, **fields: Any) -> GenerationRequest:
    return GenerationRequest.model_validate(
        {"task": task, "model": f"replicate:{model}", "prompt": "a lighthouse"} | fields
    )


async def settle(provider: ReplicateProvider, handle: Handle) -> JobState:
    for _ in range(200):
        status = await provider.poll(handle)
        if status.state.terminal:
            return status.state
        await asyncio.sleep(0.05)
    raise AssertionError("the prediction never settled")


def created_bodies(suite: SimulatorSuite) -> list[dict[str, Any]]:
    return [
        r["body"]
        for r in sim_of(suite).requests
        if r["method"] == "POST" and r["path"].endswith("predictions")
    ]


# -- request mapping ---------------------------------------------------------------------


def catalog_requests(provider: ReplicateProvider) -> list[GenerationRequest]:
    """One request per model the catalog lists, in the first task it names."""
    path = Path(storyreel.catalog.__file__).parent / "data" / "replicate.toml"
    entries = tomllib.loads(path.read_text())["models"]
    first = ref(provider, RefRole.FIRST_FRAME)
    reqs = []
    for entry in entries:
        task = Task(entry["tasks"][0])
        model = entry["id"].split(":", 1)[1]
        refs: tuple[Reference, ...] = ()
        if task is Task.INPAINT:
            refs = (ref(provider, RefRole.INIT_IMAGE), ref(provider, RefRole.MASK, "white"))
        elif task in (Task.IMAGE_TO_VIDEO, Task.IMAGE_TO_IMAGE):
            refs = (first,)
        reqs.append(request(model, task, references=refs, seed=3))
    return reqs


async def test_every_catalogued_model_is_accepted_and_runs(
    suite: SimulatorSuite, tmp_path: Path
) -> None:
    provider = make_provider(suite, tmp_path, prefer_wait="0")
    reqs = catalog_requests(provider)
    assert {r.model_name for r in reqs} <= set(MODELS)
    handles = []
    for req in reqs:
        provider.check(req)
        handles.append(await provider.submit(req, job_id="j", webhook_url=None))
    for req, handle in zip(reqs, handles, strict=True):
        assert await settle(provider, handle) is JobState.SUCCEEDED, req.model
        artifacts = await provider.result(handle)
        kind = MODELS[req.model_name].kind
        assert artifacts and all(a.mime.startswith(kind) for a in artifacts)
    paths = [r["path"] for r in sim_of(suite).requests if r["method"] == "POST"]
    assert "/replicate/v1/models/black-forest-labs/flux-schnell/predictions" in paths
    lama = [b for b in created_bodies(suite) if b.get("version")]
    assert [b["version"] for b in lama] == [LAMA_VERSION]
    assert set(lama[0]["input"]) == {"image", "mask"}
    await provider.aclose()


async def test_model_inputs_follow_each_schema(suite: SimulatorSuite, tmp_path: Path) -> None:
    provider = make_provider(suite, tmp_path)
    first = ref(provider, RefRole.FIRST_FRAME)
    last = ref(provider, RefRole.LAST_FRAME, "navy")
    cases = {
        "schnell": request(
            "black-forest-labs/flux-schnell", count=3, steps=28, width=1600, height=900
        ),
        "dev": request(
            "black-forest-labs/flux-dev",
            Task.IMAGE_TO_IMAGE,
            references=(ref(provider, RefRole.CHARACTER),),
            guidance=30,
            aspect="16:9",
        ),
        "pro": request("black-forest-labs/flux-1.1-pro", width=1000, height=600),
        "z": request("prunaai/z-image-turbo", aspect="16:9", guidance=1.5),
        "hailuo": request(
            "minimax/hailuo-2.3-fast", Task.IMAGE_TO_VIDEO, references=(first,), duration=9
        ),
        "seedance": request(
            "bytedance/seedance-1-pro-fast", Task.TEXT_TO_VIDEO, duration=30, aspect="9:16"
        ),
        "veo": request(
            "google/veo-3.1-fast",
            Task.FIRST_LAST_TO_VIDEO,
            references=(first, last),
            duration=5,
            audio=False,
            aspect="9:16",
            negative_prompt="rain",
            extra={"replicate": {"resolution": "1080p"}},
        ),
    }
    built = {
        name: await provider.build_input(req, MODELS[req.model_name]) for name, req in cases.items()
    }
    assert built["schnell"] == {
        "prompt": "a lighthouse",
        "num_outputs": 3,
        "output_format": "png",
        "aspect_ratio": "16:9",
        "num_inference_steps": 4,
    }
    assert built["dev"]["image"].startswith(suite["replicate"].mount_url() + "/v1/files/")
    assert built["dev"]["prompt_strength"] == 0.8 and built["dev"]["guidance"] == 10
    assert built["pro"] | {"prompt": ""} == {
        "prompt": "",
        "output_format": "png",
        "aspect_ratio": "custom",
        "width": 992,
        "height": 608,
    }
    assert (built["z"]["width"], built["z"]["height"]) == (1024, 576)
    assert built["z"]["num_inference_steps"] == 8 and built["z"]["guidance_scale"] == 1.5
    assert built["hailuo"]["duration"] == 10 and built["hailuo"]["resolution"] == "768p"
    assert "first_frame_image" in built["hailuo"]
    assert built["seedance"] == {
        "prompt": "a lighthouse",
        "duration": 12,
        "resolution": "1080p",
        "fps": 24,
        "aspect_ratio": "9:16",
    }
    veo = built["veo"]
    assert veo["duration"] == 4 and veo["generate_audio"] is False
    assert veo["resolution"] == "1080p" and veo["aspect_ratio"] == "9:16"
    assert veo["image"] != veo["last_frame"] and veo["negative_prompt"] == "rain"
    assert sim_of(suite).uploads == 4  # no upload cache here: the first frame went twice
    await provider.aclose()


async def test_check_refuses_what_a_model_cannot_do(suite: SimulatorSuite, tmp_path: Path) -> None:
    provider = make_provider(suite, tmp_path)
    init = ref(provider, RefRole.INIT_IMAGE)
    bad = [
        request("black-forest-labs/flux-schnell", count=5),
        request("black-forest-labs/flux-1.1-pro", count=2),
        request("allenhooo/lama", Task.INPAINT, references=(init,)),
        request("minimax/hailuo-2.3-fast", Task.IMAGE_TO_VIDEO),
        request(
            "minimax/hailuo-2.3-fast",
            Task.IMAGE_TO_VIDEO,
            references=(init,),
            resolution="1080p",
            duration=10,
        ),
        request("black-forest-labs/flux-dev", Task.IMAGE_TO_IMAGE),
        request("black-forest-labs/flux-schnell", Task.IMAGE_TO_VIDEO),
        request("google/veo-3.1-fast", Task.FIRST_LAST_TO_VIDEO, references=(init,)),
    ]
    for req in bad:
        with pytest.raises(InputError):
            provider.check(req)


# -- lifecycle -----------------------------------------------------------------------------


async def test_polling_maps_every_state_and_reads_list_outputs(
    suite: SimulatorSuite, tmp_path: Path
) -> None:
    sims = sim_of(suite)
    suite.config.latency = 1.0
    provider = make_provider(suite, tmp_path, prefer_wait="0")
    handle = await provider.submit(
        request("black-forest-labs/flux-schnell", count=2, aspect="3:2"),
        job_id="j",
        webhook_url=None,
    )
    assert "status" not in handle.data and handle.urls["web"].startswith("https://replicate.com/p/")
    seen = []
    while not (status := await provider.poll(handle)).state.terminal:
        seen.append(status.state)
        await asyncio.sleep(0.05)
    assert seen[0] is JobState.QUEUED and JobState.RUNNING in seen
    assert status.state is JobState.SUCCEEDED and status.progress == 1.0
    artifacts = await provider.result(handle)
    assert [a.mime for a in artifacts] == ["image/png", "image/png"]
    assert all(a.url and a.url.startswith(suite.base_url) for a in artifacts)
    assert sims.submissions["black-forest-labs/flux-schnell"] == 1
    await provider.aclose()


async def test_a_blocking_create_settles_the_job_without_a_poll(
    suite: SimulatorSuite, tmp_path: Path
) -> None:
    sims = sim_of(suite)
    provider = make_provider(suite, tmp_path, prefer_wait="5")
    handle = await provider.submit(
        request("black-forest-labs/flux-1.1-pro"), job_id="j", webhook_url=None
    )
    created = [r for r in sims.requests if r["method"] == "POST"]
    assert created and handle.data["status"] == "succeeded"
    before = len(sims.requests)
    assert (await provider.poll(handle)).state is JobState.SUCCEEDED
    artifacts = await provider.result(handle)
    assert len(sims.requests) == before  # no GET at all
    assert len(artifacts) == 1 and artifacts[0].mime == "image/png"
    # The wire answer really was the quirky "processing" carrying the output.
    response = await provider.call(
        "POST",
        "/v1/models/black-forest-labs/flux-1.1-pro/predictions",
        json={"input": {"prompt": "x"}},
        headers={"Prefer": "wait=5"},
    )
    assert response.status_code == 201 and response.headers["preference-applied"] == "wait=5"
    body = response.json()
    assert body["status"] == "processing" and isinstance(body["output"], str)
    assert response.headers["location"] == body["urls"]["get"]
    # Out of time: "starting", whatever the real state is.
    suite.config.latency = 3.0
    slow = await provider.call(
        "POST",
        "/v1/models/black-forest-labs/flux-schnell/predictions",
        json={"input": {"prompt": "x"}},
        headers={"Prefer": "wait=1"},
    )
    assert slow.json()["status"] == "starting" and slow.json()["output"] is None
    await provider.aclose()


async def test_video_output_is_one_mp4_uri(suite: SimulatorSuite, tmp_path: Path) -> None:
    provider = make_provider(suite, tmp_path, prefer_wait="0")
    req = request(
        "bytedance/seedance-1-pro-fast",
        Task.IMAGE_TO_VIDEO,
        references=(ref(provider, RefRole.FIRST_FRAME),),
        duration=3,
    )
    handle = await provider.submit(req, job_id="j", webhook_url=None)
    assert await settle(provider, handle) is JobState.SUCCEEDED
    prediction = (await provider.call("GET", f"/v1/predictions/{handle.request_id}")).json()
    assert isinstance(prediction["output"], str) and prediction["output"].endswith(".mp4")
    assert prediction["model"] == "bytedance/seedance-1-pro-fast"
    assert prediction["version"] == "hidden"
    assert [a.mime for a in await provider.result(handle)] == ["video/mp4"]
    await provider.aclose()


async def test_cancel_and_cancel_after(suite: SimulatorSuite, tmp_path: Path) -> None:
    suite.config.latency = 20.0  # queued for 2 s, then running
    provider = make_provider(suite, tmp_path, prefer_wait="0")
    handle = await provider.submit(
        request("black-forest-labs/flux-schnell"), job_id="j", webhook_url=None
    )
    await provider.cancel(handle)
    status = await provider.poll(handle)
    assert status.state is JobState.CANCELED
    assert (status.error_reason, status.error_code) == (FailureReason.CANCELED, "canceled")
    await provider.cancel(handle)  # already finished: answered with the object, no error
    await provider.cancel(Handle(provider="replicate", request_id="nosuchprediction"))

    deadline = make_provider(suite, tmp_path, prefer_wait="0", cancel_after="1s")
    aborted = await deadline.submit(
        request("black-forest-labs/flux-schnell"), job_id="k", webhook_url=None
    )
    assert await settle(deadline, aborted) is JobState.FAILED
    status = await deadline.poll(aborted)
    assert (status.error_reason, status.error_code) == (FailureReason.TIMEOUT, "aborted")
    raw = (await deadline.call("GET", f"/v1/predictions/{aborted.request_id}")).json()
    assert raw["status"] == "aborted" and raw["deadline"]
    await provider.aclose()
    await deadline.aclose()


async def test_failures_and_errors(suite: SimulatorSuite, tmp_path: Path) -> None:
    sims = sim_of(suite)
    provider = make_provider(suite, tmp_path, prefer_wait="0")

    suite.config.fail_rate = 1.0
    handle = await provider.submit(
        request("black-forest-labs/flux-schnell"), job_id="j", webhook_url=None
    )
    assert await settle(provider, handle) is JobState.FAILED
    status = await provider.poll(handle)
    assert (status.error_reason, status.error_code) == (FailureReason.MODEL_FAILED, "model_error")
    assert status.message
    suite.config.fail_rate = 0.0

    gone = f"{sims.mount_url()}/v1/files/doesnotexist"
    lama = await provider.submit(
        request("allenhooo/lama", Task.INPAINT, extra={"replicate": {"image": gone, "mask": gone}}),
        job_id="k",
        webhook_url=None,
    )
    assert await settle(provider, lama) is JobState.FAILED
    invalid_input = await provider.poll(lama)
    assert (invalid_input.error_reason, invalid_input.error_code) == (
        FailureReason.INPUT,
        "input_validation",
    )

    with pytest.raises(ProviderAPIError) as invalid:
        await provider.submit(
            request("black-forest-labs/flux-schnell", extra={"replicate": {"aspect_ratio": "7:3"}}),
            job_id="l",
            webhook_url=None,
        )
    assert invalid.value.status == 422 and not invalid.value.retryable
    assert "aspect_ratio" in invalid.value.message

    with pytest.raises(ProviderAPIError) as version:
        await provider.submit(request(f"someone/unknown:{'0' * 64}"), job_id="m", webhook_url=None)
    assert version.value.status == 422
    assert "does not exist" in version.value.message

    sims.burst_429 = 1
    with pytest.raises(ProviderAPIError) as limited:
        await provider.submit(
            request("black-forest-labs/flux-schnell"), job_id="n", webhook_url=None
        )
    assert limited.value.status == 429 and limited.value.retryable
    assert limited.value.retry_after == 1.0  # from ratelimit-reset

    wrong = make_provider(suite, tmp_path, key="nope")
    with pytest.raises(ProviderAPIError) as unauthorized:
        await wrong.poll(handle)
    assert unauthorized.value.status == 401 and not unauthorized.value.retryable
    assert "authentication token" in unauthorized.value.message

    sims.burst_503 = 1
    with pytest.raises(ProviderAPIError) as unavailable:
        await provider.poll(lama)
    assert unavailable.value.status == 503 and unavailable.value.retryable
    await provider.aclose()
    await wrong.aclose()


async def test_retry_after_wins_over_ratelimit_reset(tmp_path: Path) -> None:
    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            429,
            json={"detail": "Request was throttled.", "status": 429},
            headers={"retry-after": "7", "ratelimit-reset": "1", "ratelimit-remaining": "0"},
        )

    provider = ReplicateProvider(
        ProviderContext(
            settings=ProviderSettings(api_key=KEY),
            assets=AssetStore(tmp_path / "assets"),
            scratch_dir=tmp_path / "scratch",
        )
    )
    assert provider.base_url == "https://api.replicate.com"
    loop = asyncio.get_running_loop()
    provider._clients[loop] = httpx2.AsyncClient(transport=httpx2.MockTransport(answer))
    with pytest.raises(ProviderAPIError) as limited:
        await provider.poll(Handle(provider="replicate", request_id="abc"))
    assert limited.value.retry_after == 7.0 and limited.value.retryable
    await provider.aclose()


async def test_outputs_removed_after_the_ttl(suite: SimulatorSuite, tmp_path: Path) -> None:
    provider = make_provider(suite, tmp_path, prefer_wait="0")
    handle = await provider.submit(
        request("black-forest-labs/flux-schnell"), job_id="j", webhook_url=None
    )
    assert await settle(provider, handle) is JobState.SUCCEEDED
    suite.config.output_ttl = 0.0
    status = await provider.poll(handle)
    assert status.state is JobState.FAILED and status.error_code == "data_removed"
    assert status.error_reason is FailureReason.TIMEOUT
    raw = (await provider.call("GET", f"/v1/predictions/{handle.request_id}")).json()
    assert raw["data_removed"] is True and raw["output"] is None
    with pytest.raises(ProviderAPIError):
        await provider.result(handle)
    await provider.aclose()


# -- uploads ---------------------------------------------------------------------------------


async def test_upload_goes_through_the_files_api(suite: SimulatorSuite, tmp_path: Path) -> None:
    sims = sim_of(suite)
    provider = make_provider(suite, tmp_path)
    png = image_to_png(Image.new("RGB", (32, 32), "red"))
    url = await provider.upload(png, "image/png")
    file_id = url.rsplit("/", 1)[-1]
    assert url == f"{sims.mount_url()}/v1/files/{file_id}" and sims.uploads == 1
    info = (await provider.call("GET", f"/v1/files/{file_id}")).json()
    assert info["content_type"] == "image/png" and info["size"] == len(png)
    assert info["checksums"]["sha256"] == hashlib.sha256(png).hexdigest()
    assert info["name"].endswith(".png") and info["expires_at"] > info["created_at"]
    download = await provider.call("GET", f"/v1/files/{file_id}/download")
    assert download.content == png
    assert provider.upload_ttl is not None and provider.upload_ttl.total_seconds() == 86400
    listed = (await provider.call("GET", "/v1/files")).json()["results"]
    assert [f["id"] for f in listed] == [file_id]
    deleted = await provider.call("DELETE", f"/v1/files/{file_id}")
    assert deleted.status_code == 204
    with pytest.raises(ProviderAPIError) as missing:
        await provider.call("GET", f"/v1/files/{file_id}")
    assert missing.value.status == 404
    await provider.aclose()


# -- webhooks --------------------------------------------------------------------------------


async def test_webhooks_verify_with_the_fetched_secret(
    suite: SimulatorSuite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sims = sim_of(suite)
    provider = make_provider(suite, tmp_path)
    handle = await provider.submit(
        request("black-forest-labs/flux-schnell"), job_id="j", webhook_url=None
    )
    headers, body = sims.signed_webhook(handle.request_id)
    # An independent implementation of the scheme agrees with the simulator.
    standardwebhooks.Webhook(sims.webhook_secret).verify(body, headers)

    event = await provider.parse_webhook(headers, body)
    assert event.request_id == handle.request_id and event.state is JobState.SUCCEEDED
    assert event.event_id == headers["webhook-id"]
    await provider.parse_webhook(headers, body)
    fetches = [r for r in sims.requests if r["path"].endswith("/webhooks/default/secret")]
    assert len(fetches) == 1  # cached

    good = headers["webhook-signature"]
    several = headers | {"webhook-signature": f"v1,{base64.b64encode(b'x' * 32).decode()} {good}"}
    assert (await provider.parse_webhook(several, body)).request_id == handle.request_id
    # Malformed entries beside a good one are dropped, never a crash in the verifier.
    garbled = headers | {"webhook-signature": f"v1 v1,a,b v1,*** {good}"}
    assert (await provider.parse_webhook(garbled, body)).request_id == handle.request_id

    refused = [
        (headers, body + b" "),
        ({k: v for k, v in headers.items() if k != "webhook-signature"}, body),
        (headers | {"webhook-signature": "v1,bm90LWEtc2lnbmF0dXJl"}, body),
        (headers | {"webhook-signature": "v1,***"}, body),
        (headers | {"webhook-signature": "v1,a,b"}, body),
        (headers, b"\xff\xfe" + body),
        sims.signed_webhook(handle.request_id, timestamp=int(time.time()) - 3600),
        sims.signed_webhook(handle.request_id, timestamp=int(time.time()) + 3600),
    ]
    for bad_headers, bad_body in refused:
        with pytest.raises(WebhookRejected):
            await provider.parse_webhook(bad_headers, bad_body)

    # A rotated secret is fetched again (here without waiting out the refresh interval).
    monkeypatch.setattr(replicate_module, "SECRET_REFRESH", 0.0)
    sims.webhook_secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    headers, body = sims.signed_webhook(handle.request_id)
    assert (await provider.parse_webhook(headers, body)).request_id == handle.request_id
    await provider.aclose()


async def test_a_configured_secret_is_used_without_a_fetch(
    suite: SimulatorSuite, tmp_path: Path
) -> None:
    secret = base64.b64encode(b"s" * 32).decode()
    provider = make_provider(suite, tmp_path, webhook_secret=f"whsec_{secret}")
    body = json.dumps({"id": "abc", "status": "processing"}).encode()
    ts = str(int(time.time()))
    digest = hmac.new(b"s" * 32, f"msg_1.{ts}.".encode() + body, hashlib.sha256).digest()
    headers = {
        "Webhook-Id": "msg_1",
        "Webhook-Timestamp": ts,
        "Webhook-Signature": f"v1,{base64.b64encode(digest).decode()}",
    }
    event = await provider.parse_webhook(headers, body)
    assert event.request_id == "abc" and event.state is None  # not terminal: a hint only
    sims = sim_of(suite)
    headers2, body2 = sims.signed_webhook(
        (
            await provider.submit(
                request("black-forest-labs/flux-schnell"), job_id="j", webhook_url=None
            )
        ).request_id
    )
    with pytest.raises(WebhookRejected):
        await provider.parse_webhook(headers2, body2)  # signed with another secret
    assert not [r for r in sims.requests if r["path"].endswith("/secret")]
    await provider.aclose()


async def test_simulator_sends_filtered_events_and_retries_only_the_final_one(
    suite: SimulatorSuite, tmp_path: Path
) -> None:
    sims = sim_of(suite)
    provider = make_provider(suite, tmp_path, prefer_wait="0")
    nowhere = f"{suite.base_url}/_sim/no-such-receiver"  # answers 404: a failed delivery
    body = {
        "input": {"prompt": "x"},
        "webhook": nowhere,
        "webhook_events_filter": ["start", "completed"],
    }
    created = await provider.call(
        "POST", "/v1/models/black-forest-labs/flux-schnell/predictions", json=body
    )
    assert created.status_code == 201
    for _ in range(200):
        if any(w.get("attempts") == 3 for w in sims.webhooks_sent):
            break
        await asyncio.sleep(0.05)
    start = [w for w in sims.webhooks_sent if w.get("event") == "start"]
    final = [w for w in sims.webhooks_sent if "event" not in w]
    assert len(start) == 1 and start[0]["attempts"] == 1 and start[0]["status"] == 404
    assert len(final) == 1 and final[0]["attempts"] == 3

    bad = body | {"webhook_events_filter": ["finished"]}
    with pytest.raises(ProviderAPIError) as invalid:
        await provider.call(
            "POST", "/v1/models/black-forest-labs/flux-schnell/predictions", json=bad
        )
    assert invalid.value.status == 422
    await provider.aclose()


# -- the simulator's other routes -----------------------------------------------------------


async def test_list_pages_and_version_forms(suite: SimulatorSuite, tmp_path: Path) -> None:
    sims = sim_of(suite)
    sims.page_size = 2
    sims.deployments["acme/previz"] = "black-forest-labs/flux-schnell"
    provider = make_provider(suite, tmp_path, prefer_wait="0")
    bodies = [
        (
            "/v1/predictions",
            {"version": "black-forest-labs/flux-schnell", "input": {"prompt": "a"}},
        ),
        (
            "/v1/predictions",
            {
                "version": f"allenhooo/lama:{LAMA_VERSION}",
                "input": {"image": "https://x/i.png", "mask": "https://x/m.png"},
            },
        ),
        ("/v1/deployments/acme/previz/predictions", {"input": {"prompt": "c"}}),
    ]
    ids = []
    for path, body in bodies:
        response = await provider.call("POST", path, json=body)
        assert response.status_code == 201 and response.headers["ratelimit-remaining"] == "599"
        ids.append(response.json()["id"])
    deployed = (await provider.call("GET", f"/v1/predictions/{ids[2]}")).json()
    assert deployed["version"].startswith("dp-") and deployed["deployment"] == "acme/previz"
    assert len(ids[0]) == 26

    first = (await provider.call("GET", "/v1/predictions")).json()
    assert [p["id"] for p in first["results"]] == [ids[2], ids[1]]
    assert first["previous"] is None and first["next"].startswith("http")
    second = (await provider.call("GET", first["next"])).json()
    assert [p["id"] for p in second["results"]] == [ids[0]] and second["next"] is None

    for path, body in [
        ("/v1/predictions", {"version": "allenhooo/lama", "input": {}}),
        ("/v1/models/allenhooo/lama/predictions", {"input": {}}),
        ("/v1/predictions", {"input": {"prompt": "a"}}),
    ]:
        with pytest.raises(ProviderAPIError) as refused:
            await provider.call("POST", path, json=body)
        assert refused.value.status == 422
    with pytest.raises(ProviderAPIError) as unknown:
        await provider.call("POST", "/v1/models/nobody/nothing/predictions", json={"input": {}})
    assert unknown.value.status == 404
    await provider.aclose()


def test_pure_helpers() -> None:
    assert status_of({"status": "starting"}).state is JobState.QUEUED
    running = status_of({"status": "processing", "logs": "load\n 45%|####   | 9/20\n"})
    assert running.state is JobState.RUNNING and running.progress == 0.45
    assert status_of({"status": "canceled"}).state is JobState.CANCELED
    safety = status_of({"status": "failed", "error": "NSFW content detected"})
    assert safety.state is JobState.FAILED and safety.error_reason is FailureReason.SAFETY
    with pytest.raises(ProviderAPIError):
        status_of({"status": "exploded"})
    assert parse_cancel_after("1h30m45s") == 5445 and parse_cancel_after("90") is None
    assert parse_cancel_after("0s") is None


async def test_data_uri_outputs_become_scratch_files(tmp_path: Path) -> None:
    provider = ReplicateProvider(
        ProviderContext(
            settings=ProviderSettings(api_key=KEY),
            assets=AssetStore(tmp_path / "assets"),
            scratch_dir=tmp_path / "scratch",
        )
    )
    png = image_to_png(Image.new("RGB", (8, 8), "blue"))
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    handle = Handle(
        provider="replicate",
        request_id="abc",
        data={"model": "black-forest-labs/flux-1.1-pro", "status": "succeeded", "output": [uri]},
    )
    (artifact,) = await provider.result(handle)
    assert artifact.mime == "image/png" and artifact.path is not None
    assert artifact.path.read_bytes() == png


#: A failed prediction's ``error`` text (Replicate has no codes) -> reason and code.
PREDICTION_ERRORS = [
    ("Prediction input failed validation: prompt is required", FailureReason.INPUT),
    (
        "NSFW content detected. Try running it again, or try a different prompt.",
        FailureReason.SAFETY,
    ),
    ("Prediction timed out", FailureReason.TIMEOUT),
    ("CUDA out of memory. Tried to allocate 2.00 GiB", FailureReason.MODEL_FAILED),
]


@pytest.mark.parametrize(("error", "reason"), PREDICTION_ERRORS)
async def test_a_failed_prediction_maps_its_error(
    suite: SimulatorSuite, tmp_path: Path, error: str, reason: FailureReason
) -> None:
    sim = sim_of(suite)
    suite.config.fail_rate, sim.fail_message = 1.0, error
    sim.usage = {"predict_time": 4.25}
    provider = make_provider(suite, tmp_path, prefer_wait="0")
    handle = await provider.submit(
        request("black-forest-labs/flux-schnell"), job_id="f", webhook_url=None
    )
    assert await settle(provider, handle) is JobState.FAILED
    status = await provider.poll(handle)
    assert status.error_reason is reason and status.message == error
    # A failed run is billed for its GPU time too.
    assert status.usage is not None and status.usage.gpu_seconds == 4.25
    await provider.aclose()


@pytest.mark.parametrize("prefer_wait", ["0", "5"])
async def test_a_finished_prediction_reports_predict_time(
    suite: SimulatorSuite, tmp_path: Path, prefer_wait: str
) -> None:
    """Polled, or settled by the blocking create and read from the handle."""
    sim_of(suite).usage = {"predict_time": 7.5}
    provider = make_provider(suite, tmp_path, prefer_wait=prefer_wait)
    handle = await provider.submit(
        request("black-forest-labs/flux-schnell"), job_id="p", webhook_url=None
    )
    assert await settle(provider, handle) is JobState.SUCCEEDED
    status = await provider.poll(handle)
    assert status.usage is not None and status.usage.gpu_seconds == 7.5
    await provider.aclose()
