"""Seed 004's service: its curl examples, verbatim (bodies and paths), against the fal
simulator; image URLs go through the SSRF guard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig

from ..conftest import api_settings, running_api


@pytest.fixture
async def seed_api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    config = SimConfig(latency=0.05, video_latency=0.1)
    async with serve_simulators(config, providers=["fal"], files_dir=tmp_path / "sim") as suite:
        settings = api_settings(
            tmp_path, settings={"providers": {"fal": suite.provider_settings("fal")}}
        )
        async with running_api(settings) as (client, _state):
            yield client


async def _until(api: httpx.AsyncClient, path: str, status: str) -> dict[str, object]:
    for _ in range(400):
        body = (await api.get(path)).json()
        if body["status"] in (status, "failed"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never became {status}")


async def test_video_job_curl_examples(seed_api: httpx.AsyncClient) -> None:
    # curl -X POST http://localhost:8000/jobs -H "Content-Type: application/json" -d '...'
    created = await seed_api.post(
        "/jobs",
        headers={"Content-Type": "application/json"},
        content="""{
    "image_url": "https://example.com/image.jpg",
    "motion_prompt": "Camera slowly zooms in",
    "resolution": "1080p",
    "duration_sec": 5,
    "model": "kling"
  }""",
    )
    assert created.status_code == 200, created.text
    job = created.json()
    assert job["id"] == 1 and job["status"] in ("pending", "submitted", "running", "completed")
    assert (
        job["model_id"].startswith("fal:fal-ai/kling-video") and job["estimate_usd"] == "0.350000"
    )
    # curl http://localhost:8000/jobs/1
    done = await _until(seed_api, "/jobs/1", "completed")
    assert done["status"] == "completed", done
    assert str(done["video_url"]).startswith("/api/v1/assets/")
    video = await seed_api.get(str(done["video_url"]))
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    # curl "http://localhost:8000/jobs?status=completed&limit=10"
    listed = (await seed_api.get("/jobs?status=completed&limit=10")).json()
    assert [j["id"] for j in listed] == [1]
    assert (await seed_api.get("/jobs?status=pending&limit=10")).json() == []
    assert (await seed_api.get("/jobs/2")).status_code == 404


async def test_image_job_curl_examples(seed_api: httpx.AsyncClient) -> None:
    # curl http://localhost:8000/images/models
    models = (await seed_api.get("/images/models")).json()
    assert {m["id"] for m in models} >= {"gpt-image-1.5", "nano-banana"}
    created = await seed_api.post(
        "/images",
        headers={"Content-Type": "application/json"},
        content="""{
    "source_image_url": "https://example.com/person.jpg",
    "prompt": "same person wearing a red dress in Paris",
    "model": "gpt-image-1.5",
    "aspect_ratio": "9:16",
    "num_images": 1
  }""",
    )
    assert created.status_code == 200, created.text
    # curl http://localhost:8000/images/1
    done = await _until(seed_api, "/images/1", "completed")
    assert done["status"] == "completed" and len(done["image_urls"]) == 1
    # curl "http://localhost:8000/images?status=completed"
    assert [j["id"] for j in (await seed_api.get("/images?status=completed")).json()] == [1]
    # The video and image numbering are separate resources: image 1 is not job 1.
    assert (await seed_api.get("/jobs/1")).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/secret.png",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "http://2130706433/x.png",
        "ftp://example.com/a.png",
    ],
)
async def test_internal_or_odd_image_urls_are_refused(api: httpx.AsyncClient, url: str) -> None:
    response = await api.post(
        "/jobs", json={"image_url": url, "motion_prompt": "zoom", "model": "motion"}
    )
    assert response.status_code == 422, response.text
    assert "refus" in response.json()["detail"]
    assert (await api.get("/jobs")).json() == []


async def test_bad_seed_inputs(api: httpx.AsyncClient) -> None:
    bad_model = await api.post(
        "/jobs",
        json={"image_url": "https://example.com/a.png", "motion_prompt": "x", "model": "nope"},
    )
    assert bad_model.status_code in (404, 422) and "nope" in bad_model.json()["detail"]
    assert (await api.post("/images", json={"prompt": "x"})).status_code == 422
    assert (await api.get("/jobs?status=weird")).status_code == 422
    assert (await api.get("/images/abc")).status_code == 422
    assert (await api.get("/jobs/31100371297425580032")).status_code == 422
