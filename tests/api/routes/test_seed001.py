"""Seed 001's service: the seed's requests, verbatim, and its responses."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import av
import httpx
from PIL import Image

from ..conftest import api_settings, running_api


async def test_root_and_health_say_what_generates(api: httpx.AsyncClient) -> None:
    root = (await api.get("/")).json()
    assert root["status"] == "running"
    assert root["endpoints"] == {
        "generate_image": "/generate",
        "generate_video": "/generate-video",
        "video_info": "/generate-video/info",
    }
    health = (await api.get("/health")).json()
    assert health["status"] == "healthy" and health["model_loaded"] is True
    assert health["local_model"] is False and "sketch:previz" in health["note"]


async def test_health_reports_the_local_device_hook(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (client, state):
        state.device_report = lambda: {"device": "cuda", "model": "tiny-sd", "model_loaded": True}
        health = (await client.get("/health")).json()
        assert health == {
            "status": "healthy",
            "device": "cuda",
            "model": "tiny-sd",
            "model_loaded": True,
        }


async def test_generate_png_and_base64(api: httpx.AsyncClient) -> None:
    # The seed's cURL example, verbatim body.
    response = await api.post(
        "/generate",
        json={
            "prompt": "A cute robot playing guitar",
            "num_inference_steps": 30,
            "return_base64": False,
        },
    )
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).format == "PNG"
    data = (
        await api.post("/generate", json={"prompt": "A beautiful landscape", "return_base64": True})
    ).json()
    assert data["success"] is True and data["steps"] == 25 and data["format"] == "png"
    assert Image.open(io.BytesIO(base64.b64decode(data["image_base64"]))).format == "PNG"


async def test_video_info_is_the_seeds_arithmetic(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/generate-video/info",
        json={
            "hero_description": "a brave knight in silver armor",
            "scenes": ["Scene 1", "Scene 2", "Scene 3"],
            "duration_per_scene": 3.0,
            "fps": 24,
            "transition_frames": 12,
        },
    )
    assert response.json() == {
        "scenes_count": 3,
        "frames_per_scene": 72,
        "transition_frames": 12,
        "total_frames": 240,
        "total_duration_seconds": 10.0,
        "fps": 24,
        "resolution": "512x512",
        "estimated_generation_time_seconds": 15,
    }


async def test_validation_ranges_are_clear_422s(api: httpx.AsyncClient) -> None:
    low = await api.post("/generate", json={"prompt": "x", "num_inference_steps": 5})
    assert low.status_code == 422 and "num_inference_steps" in low.json()["detail"]
    high = await api.post("/generate", json={"prompt": "x", "num_inference_steps": 51})
    assert high.status_code == 422
    one = await api.post("/generate-video", json={"scenes": ["only one"]})
    assert one.status_code == 422 and "scenes" in one.json()["detail"]
    assert (await api.post("/generate", json={})).status_code == 422
    assert (await api.post("/generate", content=b"{not json")).status_code == 422


async def test_generate_video_is_an_mp4_with_the_seeds_headers(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    response = await api.post(
        "/generate-video",
        json={
            "hero_description": "a brave knight in silver armor with a red cloak",
            "scenes": ["standing in front of a castle gate", "fighting a dragon in a cave"],
            "duration_per_scene": 1.0,
            "fps": 8,
            "width": 128,
            "height": 96,
            "transition_frames": 4,
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-video-scenes"] == "2"
    assert response.headers["x-video-duration"] == "2.5"
    assert response.headers["x-video-fps"] == "8"
    path = tmp_path / "v.mp4"
    path.write_bytes(response.content)
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 20  # 2 x 8 + 1 x 4


async def test_a_synchronous_wait_that_runs_out_is_a_504_naming_the_job(tmp_path: Path) -> None:
    slow = {"providers": {"sketch": {"latency": 30}}}
    async with running_api(api_settings(tmp_path, wait_seconds=0.3, settings=slow)) as (api, _):
        response = await api.post("/generate", json={"prompt": "a slow lighthouse"})
        assert response.status_code == 504
        assert "follow it at /api/v1/jobs/" in response.json()["detail"]
