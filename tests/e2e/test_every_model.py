"""Every model in the catalog runs through storyreel against its provider's simulator; its
job's estimate is what ``storyreel cost estimate`` says, and its final cost is the
estimate unless the provider metered what this model is billed by (GPU seconds, tokens).
This is what keeps the catalog's ids, the adapters' request mapping and the simulators'
validation in agreement."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from storyreel.catalog import Catalog, ModelEntry, billing
from storyreel.config import Settings
from storyreel.engine import jobs
from storyreel.engine.app import Engine
from storyreel.engine.service import submit_job, wait_job
from storyreel.media.images import image_to_png
from storyreel.providers.types import Usage
from storyreel.testing.serve import serve_simulators
from storyreel.testing.simulators import SimConfig
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

pytestmark = pytest.mark.slow

LOCAL = {"sketch", "motion", "voice", "local"}

ROLES = {
    Task.TEXT_TO_IMAGE: (),
    Task.TEXT_TO_VIDEO: (),
    Task.CHAT: (),
    Task.SPEECH: (),
    Task.REFERENCE_TO_IMAGE: (RefRole.CHARACTER,),
    Task.IMAGE_TO_IMAGE: (RefRole.INIT_IMAGE,),
    Task.INPAINT: (RefRole.INIT_IMAGE, RefRole.MASK),
    Task.IMAGE_TO_VIDEO: (RefRole.FIRST_FRAME,),
    Task.FIRST_LAST_TO_VIDEO: (RefRole.FIRST_FRAME, RefRole.LAST_FRAME),
}


def request_for(entry: ModelEntry, refs: dict[RefRole, Reference]) -> GenerationRequest:
    task = entry.tasks[0]
    return GenerationRequest(
        task=task,
        model=entry.id,
        prompt=f"Mira at the lighthouse, {entry.id}",
        references=tuple(refs[role] for role in ROLES[task]),
        duration=entry.default_duration if task.output_kind == "video" else None,
    )


async def test_every_catalog_model_runs_on_its_simulator(tmp_path: Path) -> None:
    catalog = Catalog.load()
    remote = [m for m in catalog.models() if m.provider not in LOCAL]
    providers = sorted({m.provider for m in remote})
    config = SimConfig(latency=0.2, video_latency=0.4)
    async with serve_simulators(config, files_dir=tmp_path / "sim") as suite:
        missing = set(providers) - set(suite.sims)
        assert not missing, f"catalog providers without a simulator: {missing}"
        settings = Settings(
            data_dir=tmp_path / "data",
            poll_interval=0.05,
            poll_interval_max=0.3,
            queue_poll_interval=0.05,
            retry_base_delay=0.01,
            providers={
                name: suite.provider_settings(name).model_copy(update={"concurrency": 8})
                for name in providers
            },
        )
        async with Engine(settings) as engine:
            assert engine.runtime is not None
            refs = {}
            for role, colour in zip(
                RefRole, ("red", "teal", "olive", "navy", "plum", "white"), strict=False
            ):
                png = image_to_png(Image.new("RGB", (512, 384), colour))
                sha, _ = engine.runtime.assets.put(png, "image/png")
                refs[role] = Reference(role=role, asset=sha, mime="image/png")
            submitted = {m.id: await submit_job(request_for(m, refs)) for m in remote}
            results = await asyncio.wait_for(
                asyncio.gather(*(wait_job(job.id) for job in submitted.values())), 600
            )
            failures = {
                model: result.get("error")
                for model, result in zip(submitted, results, strict=True)
                if result["status"] != "succeeded"
            }
            assert not failures, failures
            for model, job in submitted.items():
                row = await jobs.get_job(engine.runtime.db, job.id)
                assert row.outputs, model
                entry = catalog.resolve(model)
                assert row.estimate_usd == catalog.estimate(request_for(entry, refs)), model
                usage = Usage.model_validate(row.usage) if row.usage else None
                # the provider's meter where it has one, else what was produced (a TTS
                # line bills the seconds it spoke, not the estimate's guess)
                expected = billing.final_cost(
                    catalog, request_for(entry, refs), accepted=True, succeeded=True, usage=usage
                )
                assert row.cost_usd == expected, (model, row.usage)
                if usage is None:
                    assert row.cost_usd == row.estimate_usd, model
                assert row.failover_from is None and row.failover_to is None, model
