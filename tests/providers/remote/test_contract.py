"""One contract, every remote provider: each runs real jobs through storyreel against its
simulator. A provider joins with a ``case_<provider>.py`` holding ``CASE = ProviderCase(...)``.

For every provider: an image job and (where offered) a video job, once completing by
polling and once by webhook; forged and replayed webhooks are refused; a 429 burst is
absorbed; a crash between submit and completion resumes without a second submission
(counted on the simulator); a reference image is uploaded once however often it is used.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from storyreel.engine import jobs
from storyreel.engine.app import Engine
from storyreel.engine.service import submit_job, wait_job
from storyreel.engine.webhooks import webhook_url
from storyreel.media.probe import probe_video
from storyreel.testing.simulators import SimulatorSuite
from storyreel.vocabulary import GenerationRequest, RefRole, Task

from .cases import ProviderCase
from .conftest import EngineFactory, store_reference


def _discover() -> list[ProviderCase]:
    """Every ``case_<provider>.py`` beside this file contributes its ``CASE``."""
    cases = []
    for path in sorted(Path(__file__).parent.glob("case_*.py")):
        module = importlib.import_module(f"{__package__}.{path.stem}")
        cases.append(module.CASE)
    return cases


CASES = _discover()


def image_request(
    engine: Engine, case: ProviderCase, prompt: str = "a lighthouse at dusk"
) -> GenerationRequest:
    refs = ()
    if case.image_task is not Task.TEXT_TO_IMAGE:
        refs = (store_reference(engine, RefRole.CHARACTER),)
    return GenerationRequest(
        task=case.image_task,
        model=case.image_model,
        prompt=prompt,
        references=refs,
        seed=7,
        **case.image_fields,
    )


def video_request(engine: Engine, case: ProviderCase) -> GenerationRequest:
    assert case.video_model is not None
    refs = (store_reference(engine, RefRole.FIRST_FRAME, "teal"),)
    return GenerationRequest(
        task=case.video_task,
        model=case.video_model,
        prompt="slow push in on the keeper",
        references=refs,
        **case.video_fields,
    )


async def run_to_end(req: GenerationRequest) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    job = await submit_job(req)
    result = await asyncio.wait_for(wait_job(job.id), 60)
    return result | {"job_id": job.id}, time.monotonic() - started


pytestmark = pytest.mark.parametrize("case", CASES, ids=str)


@pytest.mark.parametrize("webhooks", [False, True], ids=["polling", "webhook"])
async def test_image_job(
    case: ProviderCase, webhooks: bool, engine_for: EngineFactory, sims: SimulatorSuite
) -> None:
    if webhooks and not case.webhooks:
        pytest.skip(f"{case.provider} sends no webhooks")
    async with engine_for(webhooks=webhooks) as engine:
        result, seconds = await run_to_end(image_request(engine, case))
        assert result["status"] == "succeeded", result
        assert engine.runtime is not None
        data = engine.runtime.assets.read(result["outputs"][0], "image/png")
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    sim = sims[case.provider]
    assert sum(sim.submissions.values()) == 1
    if webhooks:
        assert sim.webhooks_sent and sim.webhooks_sent[0]["status"] == 200
        assert seconds < 15, "polling alone needs >= 20 s here: only the webhook finishes it sooner"
    else:
        assert not sim.webhooks_sent


@pytest.mark.parametrize("webhooks", [False, True], ids=["polling", "webhook"])
async def test_video_job(
    case: ProviderCase, webhooks: bool, engine_for: EngineFactory, sims: SimulatorSuite
) -> None:
    if case.video_model is None:
        pytest.skip(f"{case.provider} offers no video model")
    if webhooks and not case.webhooks:
        pytest.skip(f"{case.provider} sends no webhooks")
    async with engine_for(webhooks=webhooks) as engine:
        result, seconds = await run_to_end(video_request(engine, case))
        assert result["status"] == "succeeded", result
        assert engine.runtime is not None
        video = probe_video(engine.runtime.assets.path(result["outputs"][0], "video/mp4"))
        assert video.frames > 0 and video.codec == "h264"
    if webhooks:
        assert seconds < 15


async def test_forged_and_replayed_webhooks_are_refused(
    case: ProviderCase, engine_for: EngineFactory, sims: SimulatorSuite
) -> None:
    if not case.webhooks:
        pytest.skip(f"{case.provider} sends no webhooks")
    async with engine_for(webhooks=True) as engine:
        assert engine.runtime is not None
        result, _ = await run_to_end(image_request(engine, case))
        job = await jobs.get_job(engine.runtime.db, result["job_id"])
        assert job.handle is not None
        request_id = job.handle["request_id"]
        url = webhook_url(engine.settings, case.provider, job.id)
        assert url is not None
        sim = sims[case.provider]
        async with httpx2.AsyncClient() as client:
            headers, body = sim.signed_webhook(request_id)
            fresh = await client.post(url, content=body, headers=headers)
            again = await client.post(url, content=body, headers=headers)
            assert fresh.status_code == 200 and again.json()["status"] == "duplicate"
            wrong_token = await client.post(url[:-4] + "0000", content=body, headers=headers)
            assert wrong_token.status_code == 401
            if case.signed_webhooks:
                tampered = await client.post(url, content=body + b" ", headers=headers)
                assert tampered.status_code == 401
                old_headers, old_body = sim.signed_webhook(
                    request_id, timestamp=int(time.time()) - 3600
                )
                replayed = await client.post(url, content=old_body, headers=old_headers)
                assert replayed.status_code == 401
                unsigned = await client.post(url, content=body)
                assert unsigned.status_code == 401


async def test_a_429_burst_is_absorbed(
    case: ProviderCase, engine_for: EngineFactory, sims: SimulatorSuite
) -> None:
    sim = sims[case.provider]
    sim.burst_429 = 3
    async with engine_for(webhooks=False) as engine:
        result, _ = await run_to_end(image_request(engine, case))
    assert result["status"] == "succeeded"
    assert sim.burst_429 == 0
    assert sum(sim.submissions.values()) == 1


async def test_crash_between_submit_and_completion_resumes_without_resubmitting(
    case: ProviderCase, engine_for: EngineFactory, sims: SimulatorSuite
) -> None:
    sim = sims[case.provider]
    sims.config.latency = 2.0
    async with engine_for(webhooks=False, executor_id="crashy") as engine:
        assert engine.runtime is not None
        job = await submit_job(image_request(engine, case))
        deadline = time.monotonic() + 30  # generous: CI machines are busy
        while (await jobs.get_job(engine.runtime.db, job.id)).handle is None:
            assert time.monotonic() < deadline, "the job was never submitted"
            await asyncio.sleep(0.02)
        assert sum(sim.submissions.values()) == 1
    # The process is gone mid-job; a new one with the same executor id recovers it.
    sims.config.latency = 0.3
    async with engine_for(webhooks=False, executor_id="crashy"):
        result = await asyncio.wait_for(wait_job(job.id), 60)
    assert result["status"] == "succeeded"
    assert sum(sim.submissions.values()) == 1


async def test_reference_images_are_uploaded_once(
    case: ProviderCase, engine_for: EngineFactory, sims: SimulatorSuite
) -> None:
    if case.image_task is Task.TEXT_TO_IMAGE:
        pytest.skip("the image case uses no reference")
    sim = sims[case.provider]
    async with engine_for(webhooks=False) as engine:
        first, _ = await run_to_end(image_request(engine, case, "first shot"))
        second, _ = await run_to_end(image_request(engine, case, "second shot"))
    assert first["status"] == second["status"] == "succeeded"
    assert sim.uploads <= 1
