"""A tiny random-weight Stable Diffusion model on disk, and a provider pointed at it.

Skipped as a whole where the ``local`` extra is not installed (``make install`` installs
it, so CI runs these).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from storyreel.config import LocalSettings, ProviderSettings
from storyreel.providers.base import ProviderContext
from storyreel.providers.diffusion import loader
from storyreel.providers.diffusion.provider import DiffusersProvider
from storyreel.store.assets import AssetStore
from storyreel.testing.tiny_diffusers import build_tiny_sd


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> None:
    """The test machine is shared: torch's thread per core only fights the other tests
    for the cores (a 2-step 64x64 render takes 0.3 s on one thread, 2-5 s on two)."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding ``tiny`` (safetensors) and ``tiny-pickle`` (.bin)."""
    root = tmp_path_factory.mktemp("models")
    build_tiny_sd(root / "tiny")
    build_tiny_sd(root / "tiny-pickle", safe_serialization=False)
    return root


@pytest.fixture(scope="session")
def video_model(models_dir: Path) -> str:
    """A tiny Stable Video Diffusion model in the models folder, built on first use."""
    from storyreel.testing.tiny_diffusers import build_tiny_svd

    build_tiny_svd(models_dir / "svd")
    return "svd"


@pytest.fixture(scope="session")
def local(models_dir: Path) -> Iterator[LocalSettings]:
    """One settings object for the session, so the tests share the warm pipeline as jobs
    of one worker process do."""
    yield LocalSettings(models_dir=models_dir, hub_cache=models_dir / "no-hub", device="cpu")
    loader.unload()


def make_provider(local: LocalSettings, tmp_path: Path) -> DiffusersProvider:
    ctx = ProviderContext(
        settings=ProviderSettings(),
        assets=AssetStore(tmp_path / "assets"),
        scratch_dir=tmp_path / "scratch",
        local=local,
    )
    return DiffusersProvider(ctx)


@pytest.fixture
def provider(local: LocalSettings, tmp_path: Path) -> DiffusersProvider:
    return make_provider(local, tmp_path)
