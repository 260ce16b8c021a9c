"""Every remote provider, one lost answer: the simulator takes the submit (billed once) and
cuts its answer off; the adapter raises a retryable error and has no request id. Where the
provider has a lookup, ``find_submitted`` then adopts that very request, which runs to
success without a second submission; where it has none, ``can_find_submitted`` says so and
the engine will resubmit and flag the job "possibly billed twice"."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from storyreel.errors import ProviderAPIError
from storyreel.media.images import image_to_png
from storyreel.providers.base import Provider, ProviderContext
from storyreel.providers.registry import load_registry
from storyreel.providers.types import JobState
from storyreel.store.assets import AssetStore
from storyreel.store.db import Database, migrate
from storyreel.store.uploads import UploadCache
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig, SimulatorSuite
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task
from tests.providers.lookup_support import lose_next_answer, settle, stats

from .cases import ProviderCase
from .test_contract import CASES

#: Providers whose own API can find a lost submit (docs/providers/README.md).
LOOKUP = {"fal", "replicate"}
VIDEO_LOOKUP = {"fal", "replicate", "openai"}


@pytest.fixture
async def uploads(tmp_path: Path) -> AsyncIterator[UploadCache]:
    """The upload cache of the data dir: the process resuming after a crash finds the
    reference URLs the lost submit used, so it rebuilds the same input."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    db = Database(url)
    yield UploadCache(db)
    await db.close()


@pytest.fixture
async def sims(tmp_path: Path) -> AsyncIterator[SimulatorSuite]:
    config = SimConfig(latency=0.2, video_latency=0.3)
    async with serve_simulators(config, files_dir=tmp_path / "sim-files") as suite:
        yield suite


def make(sims: SimulatorSuite, name: str, tmp_path: Path, uploads: UploadCache) -> Provider:
    cls = load_registry().get(name)
    return cls(
        ProviderContext(
            settings=sims.provider_settings(name),
            assets=AssetStore(tmp_path / "assets"),
            scratch_dir=tmp_path / "scratch",
            uploads=uploads,
        )
    )


def reference(provider: Provider, role: RefRole) -> Reference:
    png = image_to_png(Image.new("RGB", (256, 256), "orange"))
    sha, _ = provider.ctx.assets.put(png, "image/png")
    return Reference(role=role, asset=sha, mime="image/png")


def requests(case: ProviderCase, provider: Provider) -> list[tuple[GenerationRequest, bool]]:
    """(request, whether a lookup must exist) for the case's image and video model."""
    refs = (
        () if case.image_task is Task.TEXT_TO_IMAGE else (reference(provider, RefRole.CHARACTER),)
    )
    out = [
        (
            GenerationRequest(
                task=case.image_task,
                model=case.image_model,
                prompt="a lighthouse at dusk",
                references=refs,
                seed=7,
                **case.image_fields,
            ),
            case.provider in LOOKUP,
        )
    ]
    if case.video_model is not None:
        req = GenerationRequest(
            task=case.video_task,
            model=case.video_model,
            prompt="slow push in on the keeper",
            references=(reference(provider, RefRole.FIRST_FRAME),),
            **case.video_fields,
        )
        out.append((req, case.provider in VIDEO_LOOKUP))
    return out


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_a_lost_answer_is_adopted_where_a_lookup_exists(
    case: ProviderCase, sims: SimulatorSuite, tmp_path: Path, uploads: UploadCache
) -> None:
    provider = make(sims, case.provider, tmp_path, uploads)
    resumed = make(sims, case.provider, tmp_path, uploads)  # the process after the crash
    for index, (req, has_lookup) in enumerate(requests(case, provider)):
        assert provider.can_find_submitted(req) is has_lookup, req.model
        since = time.time()
        await lose_next_answer(sims, case.provider)
        with pytest.raises(ProviderAPIError):
            await provider.submit(req, job_id=f"job-{index}", webhook_url=None)
        counters = await stats(sims, case.provider)
        assert counters["submissions"] == index + 1
        assert counters["answers_lost"] == index + 1
        if not has_lookup:
            continue
        handle = await resumed.find_submitted(req, job_id=f"job-{index}", since=since)
        assert handle is not None, req.model
        assert await settle(provider, handle) is JobState.SUCCEEDED, req.model
        assert await provider.result(handle)
        assert (await stats(sims, case.provider))["submissions"] == index + 1
    await provider.aclose()
    await resumed.aclose()
