"""Seed 001's service on the local model: the real device in /health and /, and /generate
rendered by the local provider (a tiny random-weight model on the CPU)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image

from storyreel.api.local import local_device_report
from storyreel.config import LocalSettings
from storyreel.media.probe import probe_video

from .conftest import api_settings, running_api

pytest.importorskip("diffusers")


@pytest.fixture
def tiny(tmp_path: Path) -> LocalSettings:
    import torch

    from storyreel.testing.tiny_diffusers import build_tiny_sd

    torch.set_num_threads(1)  # a shared test machine: see tests/providers/diffusion
    build_tiny_sd(tmp_path / "models" / "tiny")
    return LocalSettings(worker=True, model="tiny", models_dir=tmp_path / "models", device="cpu")


async def test_health_generate_and_generate_video_use_the_local_model(
    tmp_path: Path, tiny: LocalSettings
) -> None:
    from storyreel.providers.diffusion import loader

    loader.unload()
    settings = api_settings(tmp_path, settings={"local": tiny})
    try:
        async with running_api(settings) as (client, _state):
            root = (await client.get("/")).json()
            assert (root["device"], root["model"]) == ("cpu", "tiny")
            for _ in range(600):  # the model warms up on the render thread at start
                health = (await client.get("/health")).json()
                if health["model_loaded"]:
                    break
                await asyncio.sleep(0.05)
            assert health["status"] == "healthy" and health["model_loaded"] is True
            assert health["device"] == "cpu" and health["catalog_model"] == "local:tiny"
            response = await client.post(
                "/generate", json={"prompt": "a red cat", "num_inference_steps": 10}
            )
            assert response.status_code == 200, response.text
            image = Image.open(io.BytesIO(response.content))
            assert image.format == "PNG" and image.size == (64, 64)  # the model's native size
            video = await client.post(
                "/generate-video",
                json={
                    "hero_description": "a red cat",
                    "scenes": ["on the house", "in the tree"],
                    "num_inference_steps": 10,
                    "width": 64,
                    "height": 64,
                    "duration_per_scene": 0.5,
                    "fps": 4,
                    "transition_frames": 0,
                },
            )
            assert video.status_code == 200, video.text
            assert video.headers["content-type"] == "video/mp4"
            clip = tmp_path / "video.mp4"
            clip.write_bytes(video.content)
            info = probe_video(clip)
            assert (info.width, info.height, info.frames) == (64, 64, 4)
            jobs = (await client.get("/api/v1/jobs")).json()
            models = [job["model"] for job in jobs["jobs"]]
            assert models == ["local:tiny"] * 3  # the image and one per scene
    finally:
        loader.unload()


def test_a_process_that_does_not_host_local_jobs_reports_nothing(tmp_path: Path) -> None:
    assert local_device_report(api_settings(tmp_path)) is None
    hosted_elsewhere = api_settings(tmp_path, run_jobs=False, settings={"local": {"worker": True}})
    assert local_device_report(hosted_elsewhere) is None
    # One machine takes its local jobs by default, but seed 001 switches to the local
    # model only when asked: a CPU box with the extra installed keeps api.image_model.
    assert api_settings(tmp_path).hosts_local_jobs is True
