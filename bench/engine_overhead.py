"""What durability costs: N sketch jobs through the DBOS engine vs the same provider calls
made directly (submit -> poll -> result -> store), both at the same concurrency, in one run.

    python bench/engine_overhead.py [--jobs 40] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx2

from storyreel.config import ProviderSettings, Settings
from storyreel.engine.app import Engine
from storyreel.engine.outputs import store_artifact
from storyreel.engine.service import submit_job, wait_job
from storyreel.providers.base import ProviderContext
from storyreel.providers.sketch.provider import SketchProvider
from storyreel.providers.types import GenerationRequest, JobState, Task
from storyreel.store.assets import AssetStore


def requests(n: int, tag: str) -> list[GenerationRequest]:
    return [
        GenerationRequest(
            task=Task.TEXT_TO_IMAGE,
            model="sketch:previz",
            prompt=f"{tag} frame {i} at dusk",
            width=320,
            height=180,
            seed=i,
        )
        for i in range(n)
    ]


async def direct(root: Path, reqs: list[GenerationRequest], concurrency: int) -> float:
    assets = AssetStore(root / "assets")
    provider = SketchProvider(
        ProviderContext(ProviderSettings(), assets=assets, scratch_dir=root / "scratch")
    )
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int, req: GenerationRequest, client: httpx2.AsyncClient) -> None:
        async with gate:
            handle = await provider.submit(req, job_id=f"direct{i}", webhook_url=None)
            while (await provider.poll(handle)).state is not JobState.SUCCEEDED:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            for artifact in await provider.result(handle):
                await store_artifact(
                    artifact,
                    assets=assets,
                    data_dir=root,
                    client=client,
                    max_bytes=10**8,
                    trusted_origins=(),
                )

    started = time.perf_counter()
    async with httpx2.AsyncClient() as client:
        await asyncio.gather(*(one(i, r, client) for i, r in enumerate(reqs)))
    return time.perf_counter() - started


async def engine(root: Path, reqs: list[GenerationRequest], concurrency: int) -> float:
    settings = Settings(
        data_dir=root,
        poll_interval=0.01,
        queue_poll_interval=0.05,
        providers={"sketch": ProviderSettings(concurrency=concurrency)},
    )
    async with Engine(settings):
        started = time.perf_counter()
        jobs = [await submit_job(r) for r in reqs]
        results = await asyncio.gather(*(wait_job(j.id) for j in jobs))
        elapsed = time.perf_counter() - started
    assert all(r["status"] == "succeeded" for r in results)
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain = await direct(root / "direct", requests(args.jobs, "d"), args.concurrency)
        durable = await engine(root / "engine", requests(args.jobs, "e"), args.concurrency)
    per_job = (durable - plain) / args.jobs * 1000
    print(f"{args.jobs} sketch jobs, concurrency {args.concurrency}, SQLite")
    print(f"  direct provider calls : {plain:6.2f} s")
    print(f"  durable engine (DBOS) : {durable:6.2f} s")
    print(f"  engine / direct       : {durable / plain:6.2f}x  ({per_job:+.0f} ms per job)")


if __name__ == "__main__":
    asyncio.run(main())
