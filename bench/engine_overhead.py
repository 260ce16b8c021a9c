"""What durability costs: N sketch jobs through the DBOS engine vs the same provider calls
made directly (submit -> poll -> result -> store), both at the same concurrency, in one run.

    python bench/engine_overhead.py [--jobs 40] [--concurrency 4] [--database-url URL]
        [--queue-poll-interval S]

Prints the time per job above the direct calls, jobs per second, and the SQL statements
per job on the app database and on DBOS's system database (both in the same database on
PostgreSQL, told apart by the statement counter's engine).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2

from storyreel.config import ProviderSettings, Settings
from storyreel.engine.app import Engine
from storyreel.engine.outputs import store_artifact
from storyreel.engine.service import submit_job, wait_job
from storyreel.providers.base import ProviderContext
from storyreel.providers.sketch.provider import SketchProvider
from storyreel.providers.types import GenerationRequest, JobState, Task
from storyreel.store.assets import AssetStore

try:
    from bench.sql_counter import count_statements
except ImportError:  # run as a script: bench/ is on the path itself
    from sql_counter import count_statements  # type: ignore[no-redef]


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


async def engine(
    root: Path,
    reqs: list[GenerationRequest],
    concurrency: int,
    *,
    database_url: str | None,
    queue_poll_interval: float,
) -> tuple[float, dict[str, int]]:
    """Seconds for all jobs, and the SQL statements they made, by database."""
    options: dict[str, Any] = {"database_url": database_url} if database_url else {}
    settings = Settings(
        data_dir=root,
        poll_interval=0.01,
        queue_poll_interval=queue_poll_interval,
        providers={"sketch": ProviderSettings(concurrency=concurrency)},
        **options,
    )
    async with Engine(settings):
        with count_statements() as counts:
            started = time.perf_counter()
            jobs = [await submit_job(r) for r in reqs]
            results = await asyncio.gather(*(wait_job(j.id) for j in jobs))
            elapsed = time.perf_counter() - started
    assert all(r["status"] == "succeeded" for r in results)
    return elapsed, dict(counts)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--database-url", default=None, help="postgresql://... (else SQLite)")
    parser.add_argument("--queue-poll-interval", type=float, default=0.05)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain = await direct(root / "direct", requests(args.jobs, "d"), args.concurrency)
        durable, counts = await engine(
            root / "engine",
            requests(args.jobs, "e"),
            args.concurrency,
            database_url=args.database_url,
            queue_poll_interval=args.queue_poll_interval,
        )
    per_job = (durable - plain) / args.jobs * 1000
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{args.jobs} sketch jobs, concurrency {args.concurrency}, {backend}, "
        f"queue poll {args.queue_poll_interval} s"
    )
    print(f"  direct provider calls : {plain:6.2f} s")
    print(f"  durable engine (DBOS) : {durable:6.2f} s  ({args.jobs / durable:.1f} jobs/s)")
    print(f"  engine / direct       : {durable / plain:6.2f}x  ({per_job:+.0f} ms per job)")
    total = sum(counts.values())
    by_db = ", ".join(f"{name} {n / args.jobs:.0f}" for name, n in counts.items())
    print(f"  SQL statements per job: {total / args.jobs:6.0f}  ({by_db})")


if __name__ == "__main__":
    asyncio.run(main())
