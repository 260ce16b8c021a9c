"""``storyreel generate`` against the simulators, and ``storyreel simulate`` itself."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx2
import pytest
from PIL import Image

from storyreel.cli.common import EXIT_INPUT
from storyreel.media.probe import probe_video
from storyreel.testing.serve import free_port, serve_simulators
from storyreel.testing.simulators import SimConfig
from tests.e2e.helpers import cli_env

pytestmark = pytest.mark.slow


async def storyreel(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run the CLI without blocking the loop that serves the simulators."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "storyreel",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_generate_image_and_video_print_their_cost(tmp_path: Path) -> None:
    Image.new("RGB", (320, 200), "red").save(tmp_path / "ref.png")
    async with serve_simulators(
        SimConfig(latency=0.2, video_latency=0.4), providers=["fal"]
    ) as suite:
        env = cli_env(tmp_path / "data", **suite.env())
        code, out, err = await storyreel(
            "generate",
            "image",
            "--model",
            "flux-2-pro",
            "--prompt",
            "a keeper at the lamp",
            "--ref",
            "ref.png",
            "--out",
            "out",
            env=env,
            cwd=tmp_path,
        )
        assert code == 0, out + err
        assert "cost $0.03\n" in out
        code, out, err = await storyreel(
            "generate",
            "video",
            "--model",
            "kling",
            "--prompt",
            "slow push in",
            "--ref",
            "ref.png",
            "--duration",
            "5",
            "--out",
            "out",
            env=env,
            cwd=tmp_path,
        )
        assert code == 0, out + err
        assert "cost $0.35\n" in out
        assert suite["fal"].uploads == 1, "the same reference is uploaded once"
    [png] = (tmp_path / "out").glob("image_*.png")
    [mp4] = (tmp_path / "out").glob("video_*.mp4")
    assert png.read_bytes()[:4] == b"\x89PNG" and probe_video(mp4).frames > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["image", "--model", "flux-2-prro", "--prompt", "x"], "flux-2-pro"),
        (
            [
                "video",
                "--model",
                "veo31-fast",
                "--prompt",
                "x",
                "--duration",
                "5",
                "--ref",
                "ref.png",
            ],
            "durations: 4, 6, 8",
        ),
        (
            ["image", "--model", "flux-2-pro", "--prompt", "x", "--ref", "nope.png"],
            "does not exist",
        ),
        (["video", "--model", "flux-2-pro", "--prompt", "x"], "cannot do text-to-video"),
    ],
)
async def test_generate_refuses_bad_input_before_spending(
    tmp_path: Path, args: list[str], message: str
) -> None:
    Image.new("RGB", (64, 64), "red").save(tmp_path / "ref.png")
    env = cli_env(tmp_path / "data")
    code, out, err = await storyreel("generate", *args, env=env, cwd=tmp_path)
    assert code == EXIT_INPUT and message in err, out + err
    assert "Traceback" not in err


async def test_simulate_serves_and_prints_its_settings(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYREEL_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "storyreel",
        "simulate",
        "--port",
        str(port),
        "--provider",
        "fal",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    lines = []
    while not any("API_KEY" in line for line in lines):
        lines.append((await asyncio.wait_for(proc.stdout.readline(), 30)).decode())
    assert f"export STORYREEL_PROVIDERS__FAL__BASE_URL=http://127.0.0.1:{port}/fal\n" in lines
    async with httpx2.AsyncClient() as client:
        stats = (await client.get(f"http://127.0.0.1:{port}/_sim/stats")).json()
    assert stats == {
        "fal": {
            "submissions": 0,
            "by_model": {},
            "jobs": {},
            "webhooks": 0,
            "uploads": 0,
            "answers_lost": 0,
        }
    }
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 30) == 0
