"""Simulators served on loopback and engines pointed at them, for the provider contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from storyreel.config import ProviderSettings, Settings
from storyreel.engine.app import Engine
from storyreel.media.images import image_to_png
from storyreel.testing.serve import free_port, serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.vocabulary import Reference, RefRole


@pytest.fixture
async def sims(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    config = SimConfig(latency=0.3, video_latency=0.6, webhook_backoff=0.05)
    async with serve_simulators(config, files_dir=tmp_path / "sim-files") as suite:
        yield suite


def provider_settings(suite: SimulatorSuite) -> dict[str, ProviderSettings]:
    return {name: suite.provider_settings(name) for name in suite.sims}


EngineFactory = Callable[..., Any]


@pytest.fixture
def engine_for(tmp_path: Path, sims: SimulatorSuite) -> EngineFactory:
    """``async with engine_for(webhooks=True) as engine:`` an engine talking to the sims.
    With webhooks the poll interval is long, so a quick finish proves the webhook woke it."""

    @asynccontextmanager
    async def make(*, webhooks: bool, executor_id: str | None = None) -> AsyncIterator[Engine]:
        port = free_port()
        settings = Settings(
            data_dir=tmp_path / "data",
            poll_interval=20.0 if webhooks else 0.05,
            poll_interval_max=20.0 if webhooks else 0.2,
            queue_poll_interval=0.05,
            retry_base_delay=0.01,
            executor_id=executor_id,
            providers=provider_settings(sims),
            public_url=f"http://127.0.0.1:{port}" if webhooks else None,
            webhook_listen=f"127.0.0.1:{port}" if webhooks else None,
        )
        async with Engine(settings) as engine:
            yield engine

    return make


def store_reference(engine: Engine, role: RefRole, colour: str = "orange") -> Reference:
    assert engine.runtime is not None
    png = image_to_png(Image.new("RGB", (256, 256), colour))
    sha, _ = engine.runtime.assets.put(png, "image/png")
    return Reference(role=role, asset=sha, mime="image/png")
