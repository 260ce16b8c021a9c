"""The official ``replicate`` Python client (1.0.x) against our simulator: a client nobody
here wrote must create, wait, cancel, upload, run, page and verify webhooks unchanged, and
see its own exception types for 401, 422 and 429. Sync SDK calls run in a thread so the
simulator's loop keeps serving.

Outputs come back as plain strings from ``run()``: the client only wraps ``https:`` and
``data:`` URLs in ``FileOutput``, and the simulator serves plain ``http:`` on loopback.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import replicate
from PIL import Image
from replicate.client import Client
from replicate.exceptions import ModelError, ReplicateError
from replicate.webhook import InvalidSignatureError, InvalidTimestampError, Webhooks

from storyreel.media.images import image_to_png
from storyreel.providers.replicate_models import LAMA_VERSION
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.testing.simulators.replicate import ReplicateSimulator


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    async with serve_simulators(
        SimConfig(latency=0.2, video_latency=0.3), providers=["replicate"], files_dir=tmp_path
    ) as sims:
        yield sims


def client_for(suite: SimulatorSuite, token: str | None = None) -> Client:
    client = Client(
        api_token=token or suite.config.api_key, base_url=suite["replicate"].mount_url()
    )
    client.poll_interval = 0.05
    return client


def sim_of(suite: SimulatorSuite) -> ReplicateSimulator:
    sim = suite["replicate"]
    assert isinstance(sim, ReplicateSimulator)
    return sim


def png(colour: str) -> io.BytesIO:
    data = io.BytesIO(image_to_png(Image.new("RGB", (64, 64), colour)))
    data.name = f"{colour}.png"
    return data


async def test_create_wait_and_read_outputs(suite: SimulatorSuite) -> None:
    client = client_for(suite)
    prediction = await asyncio.to_thread(
        client.predictions.create,
        model="black-forest-labs/flux-schnell",
        input={"prompt": "a lighthouse", "num_outputs": 2},
    )
    assert (
        str(prediction.status) == "starting"
        and prediction.model == "black-forest-labs/flux-schnell"
    )
    assert prediction.urls is not None and prediction.urls["get"].endswith(prediction.id)
    await asyncio.to_thread(prediction.wait)
    assert prediction.status == "succeeded" and isinstance(prediction.output, list)
    assert len(prediction.output) == 2 and prediction.metrics
    assert prediction.version == "hidden"
    fetched = await asyncio.to_thread(client.predictions.get, prediction.id)
    assert fetched.output == prediction.output


async def test_community_model_by_version_uploads_its_files(suite: SimulatorSuite) -> None:
    client = client_for(suite)
    prediction = await asyncio.to_thread(
        client.predictions.create,
        version=LAMA_VERSION,
        input={"image": png("orange"), "mask": png("white")},
    )
    assert sim_of(suite).uploads == 2  # the client sent both through POST /v1/files
    assert prediction.input is not None and "/v1/files/" in prediction.input["image"]
    await asyncio.to_thread(prediction.wait)
    assert prediction.status == "succeeded" and isinstance(prediction.output, str)
    assert prediction.version == LAMA_VERSION and prediction.model == "allenhooo/lama"


async def test_cancel(suite: SimulatorSuite) -> None:
    suite.config.latency = 10.0
    client = client_for(suite)
    prediction = await asyncio.to_thread(
        client.predictions.create, model="black-forest-labs/flux-dev", input={"prompt": "x"}
    )
    canceled = await asyncio.to_thread(client.predictions.cancel, prediction.id)
    assert canceled.status == "canceled" and canceled.output is None


async def test_files_api(suite: SimulatorSuite) -> None:
    client = client_for(suite)
    uploaded = await asyncio.to_thread(client.files.create, png("red"), metadata={"scene": 3})
    assert uploaded.name == "red.png" and uploaded.content_type == "image/png"
    assert uploaded.metadata == {"scene": 3} and uploaded.expires_at
    assert uploaded.urls["get"].endswith(uploaded.id)
    again = await asyncio.to_thread(client.files.get, uploaded.id)
    assert again.checksums == uploaded.checksums
    assert [f.id for f in await asyncio.to_thread(client.files.list)] == [uploaded.id]
    assert await asyncio.to_thread(client.files.delete, uploaded.id) is True


async def test_run_returns_plain_strings_for_http_outputs(suite: SimulatorSuite) -> None:
    client = client_for(suite)
    one = await asyncio.to_thread(
        client.run, "black-forest-labs/flux-1.1-pro", input={"prompt": "a harbour"}
    )
    assert isinstance(one, str) and one.startswith("http://127.0.0.1")
    many = await asyncio.to_thread(
        client.run, "black-forest-labs/flux-schnell", input={"prompt": "a harbour"}
    )
    assert isinstance(many, list) and all(isinstance(u, str) for u in many)
    video = await asyncio.to_thread(
        client.run,
        "minimax/hailuo-2.3-fast",
        input={"prompt": "waves", "first_frame_image": png("teal"), "duration": 6},
    )
    assert isinstance(video, str) and video.endswith(".mp4")

    suite.config.fail_rate = 1.0
    with pytest.raises(ModelError):
        await asyncio.to_thread(client.run, "black-forest-labs/flux-schnell", input={"prompt": "x"})


async def test_list_pages(suite: SimulatorSuite) -> None:
    sim_of(suite).page_size = 2
    client = client_for(suite)
    for prompt in "abc":
        await asyncio.to_thread(
            client.predictions.create,
            model="black-forest-labs/flux-schnell",
            input={"prompt": prompt},
        )
    pages = await asyncio.to_thread(lambda: list(replicate.paginate(client.predictions.list)))
    assert [len(page) for page in pages] == [2, 1]
    prompts = [p.input["prompt"] for page in pages for p in page if p.input]
    assert prompts == ["c", "b", "a"]


async def test_webhook_validates_with_the_sdk_helper(suite: SimulatorSuite) -> None:
    client = client_for(suite)
    prediction = await asyncio.to_thread(
        client.predictions.create, model="black-forest-labs/flux-schnell", input={"prompt": "x"}
    )
    secret = await asyncio.to_thread(client.webhooks.default.secret)
    assert secret.key.startswith("whsec_")
    headers, body = sim_of(suite).signed_webhook(prediction.id)
    replicate.webhooks.validate(headers=headers, body=body.decode(), secret=secret, tolerance=300)
    with pytest.raises(InvalidSignatureError):
        Webhooks.validate(headers=headers, body=body.decode() + " ", secret=secret)
    old_headers, old_body = sim_of(suite).signed_webhook(
        prediction.id, timestamp=int(time.time()) - 3600
    )
    with pytest.raises(InvalidTimestampError):
        Webhooks.validate(headers=old_headers, body=old_body.decode(), secret=secret, tolerance=300)


async def test_errors_surface_as_replicate_errors(suite: SimulatorSuite) -> None:
    wrong = client_for(suite, token="r8_wrong")
    with pytest.raises(ReplicateError) as unauthorized:
        await asyncio.to_thread(wrong.predictions.get, "whatever")
    assert unauthorized.value.status == 401 and unauthorized.value.title == "Unauthenticated"

    client = client_for(suite)
    with pytest.raises(ReplicateError) as invalid:
        await asyncio.to_thread(
            client.predictions.create,
            model="black-forest-labs/flux-schnell",
            input={"prompt": "x", "aspect_ratio": "7:3"},
        )
    assert invalid.value.status == 422 and "aspect_ratio" in (invalid.value.detail or "")

    with pytest.raises(ReplicateError) as version:
        await asyncio.to_thread(client.predictions.create, version="f" * 64, input={})
    assert version.value.status == 422
    assert version.value.title == "Invalid version or not permitted"

    sim_of(suite).burst_429 = 1
    with pytest.raises(ReplicateError) as limited:
        await asyncio.to_thread(
            client.predictions.create, model="black-forest-labs/flux-schnell", input={"prompt": "x"}
        )
    assert limited.value.status == 429 and "throttled" in (limited.value.detail or "")


async def test_the_client_retries_a_503_on_get(suite: SimulatorSuite) -> None:
    client = client_for(suite)
    prediction = await asyncio.to_thread(
        client.predictions.create, model="black-forest-labs/flux-schnell", input={"prompt": "x"}
    )
    sim_of(suite).burst_503 = 2
    fetched = await asyncio.to_thread(client.predictions.get, prediction.id)
    assert fetched.id == prediction.id and sim_of(suite).burst_503 == 0
