"""Jobs created per second through bulk: a 1,000-job bulk (10 images x 100 prompts)
stored by ``bulk.rows.create_bulk`` in one transaction, beside the same 1,000 requests
created one job per transaction (``engine.jobs.create_job``, what one request per job
costs), on SQLite and, when the local server answers, PostgreSQL. Queuing the jobs on
DBOS afterwards is not counted: this measures the store.

    python bench/bulk_create.py [--prompts 100]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from storyreel.bulk.plan import BulkOptions, BulkPlan, load_plan
from storyreel.bulk.rows import create_bulk
from storyreel.config import Settings
from storyreel.engine import jobs
from storyreel.engine.runtime import Runtime
from storyreel.store.db import migrate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Result, fresh_postgres_database, postgres_available
from bench.sql_counter import count_statements

IMAGES = 10
PROMPTS = 100


def make_plan(root: Path, settings: Settings, tag: str, prompts: int) -> BulkPlan:
    folder = root / f"imgs-{tag}"
    folder.mkdir(parents=True)
    for n in range(IMAGES):
        Image.new("RGB", (64, 64), (n * 25, len(tag) * 40 % 256, 7)).save(folder / f"{n}.png")
    text = "\n---\n".join(f"{tag}: camera move number {n}" for n in range(prompts))
    (root / f"prompts-{tag}.txt").write_text(text)
    return load_plan(settings, root / f"prompts-{tag}.txt", folder, BulkOptions())


async def measure(root: Path, database_url: str | None, prompts: int) -> tuple[float, float, int]:
    """(bulk jobs/s, one-per-transaction jobs/s, app statements of the bulk)."""
    settings = Settings(data_dir=root / "data", database_url=database_url)
    await asyncio.to_thread(migrate, settings.app_database_url)
    rt = Runtime.build(settings)
    try:
        bulk = make_plan(root, settings, "bulk", prompts)
        single = make_plan(root, settings, "single", prompts)
        with count_statements() as counts:
            started = time.perf_counter()
            made = await create_bulk(rt, bulk)
            bulk_seconds = time.perf_counter() - started
        assert made.created == len(bulk.items)
        started = time.perf_counter()
        for planned in single.items:
            await jobs.create_job(rt.db, planned.request, estimate_usd=planned.estimate_usd)
        single_seconds = time.perf_counter() - started
    finally:
        await rt.close()
    n = len(bulk.items)
    return n / bulk_seconds, n / single_seconds, counts["app"]


async def _run_all(prompts: int = PROMPTS) -> list[Result]:
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if postgres_available():
        backends.append(("PostgreSQL", "postgres"))
    results = []
    for name, url in backends:
        with tempfile.TemporaryDirectory() as tmp:
            if url is None:
                rates = await measure(Path(tmp), None, prompts)
            else:
                with fresh_postgres_database("bulk") as pg_url:
                    rates = await measure(Path(tmp), pg_url, prompts)
        bulk_rate, single_rate, statements = rates
        results.append(
            Result(
                f"bulk create {IMAGES * prompts} jobs, {name}",
                bulk_rate,
                "jobs/s",
                reference=single_rate,
                reference_name="one job per transaction",
                note=f"one transaction, {statements} SQL statements for all the jobs",
            )
        )
    return results


def run() -> list[Result]:
    return asyncio.run(_run_all())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=PROMPTS)
    args = parser.parse_args()
    for r in asyncio.run(_run_all(args.prompts)):
        ratio = f"{r.ratio:.1f}x" if r.ratio else "-"
        print(f"{r.name}: {r.value:,.0f} jobs/s vs {r.reference:,.0f} ({r.reference_name}) {ratio}")
        print(f"  {r.note}")


if __name__ == "__main__":
    main()
