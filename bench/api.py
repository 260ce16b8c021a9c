"""The REST API's costs, in one run on SQLite:

- jobs created per second through ``POST /api/v1/jobs`` and seed 004's ``POST /jobs``
  (an API-only server: each request checks, prices, stores and queues one job), beside
  the same jobs made by a direct service call (``submit_job``) in the same process;
- the p95 latency of a library page (``GET /api/v1/assets?limit=100``, first page and a
  page deep in the middle) at 1,000 and at 100,000 assets: keyset pagination keeps the
  100k page within 1.5x of the 1k page.

    python bench/api.py [--jobs 200] [--pages 60]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import httpx2
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Result
from storyreel.api import create_app
from storyreel.api.app import _open_state
from storyreel.config import ApiSettings, Settings
from storyreel.engine.service import submit_job
from storyreel.ids import new_id
from storyreel.vocabulary import GenerationRequest, Task

JOBS = 200
PAGES = 60
SMALL, LARGE = 1_000, 100_000


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


async def _resolver(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]


def _settings(root: Path) -> Settings:
    return Settings(data_dir=root / "data", api=ApiSettings(run_jobs=False))


def _fill_library(db: Path, upto: int) -> None:
    """Jobs, outputs and assets rows straight into SQLite, up to ``upto`` assets."""
    with sqlite3.connect(db) as conn:
        have = conn.execute("SELECT count(*) FROM job_outputs").fetchone()[0]
        now = datetime.now(UTC).isoformat()
        jobs, outputs, assets = [], [], []
        for i in range(have, upto):
            job_id, sha = new_id(), f"{i:064x}"
            jobs.append(
                (
                    job_id,
                    "text-to-image",
                    "sketch",
                    "sketch:previz",
                    "succeeded",
                    "{}",
                    sha,
                    now,
                    now,
                )
            )
            outputs.append((job_id, 0, sha, "image/png"))
            assets.append((sha, "image/png", 1000, 64, 48, now))
        conn.executemany(
            "INSERT INTO jobs (id, task, provider, model, status, request, request_hash, "
            "submit_attempts, polls, possibly_billed_twice, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?)",
            jobs,
        )
        conn.executemany(
            "INSERT INTO assets (sha256, mime, size, width, height, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            assets,
        )
        conn.executemany(
            "INSERT INTO job_outputs (job_id, position, asset_sha256, mime) VALUES (?, ?, ?, ?)",
            outputs,
        )


async def _p95(client: httpx.AsyncClient, pages: int) -> tuple[float, float]:
    """p95 seconds of the first page and of a page from the middle of the library."""
    first = (await client.get("/api/v1/assets?limit=100")).json()
    cursor = first["next_before"]
    for _ in range(5):  # walk a little way in, then take the cursor found there
        cursor = (await client.get(f"/api/v1/assets?limit=100&before={cursor}")).json()[
            "next_before"
        ]
    out = []
    for path in ("/api/v1/assets?limit=100", f"/api/v1/assets?limit=100&before={cursor}"):
        times = []
        for _ in range(pages):
            began = time.perf_counter()
            response = await client.get(path)
            times.append(time.perf_counter() - began)
            assert response.status_code == 200 and len(response.json()["assets"]) == 100
        out.append(statistics.quantiles(times, n=20)[18])
    return out[0], out[1]


async def measure(jobs: int, pages: int) -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        settings = _settings(Path(folder))
        async with _open_state(settings) as state:
            state.http = httpx2.AsyncClient(
                transport=httpx2.MockTransport(lambda r: httpx2.Response(200, content=_png()))
            )
            state.resolver = _resolver
            app = create_app(settings, state=state)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                began = time.perf_counter()
                for i in range(jobs):
                    body = {"model": "sketch", "prompt": f"api frame {i}", "seed": i}
                    assert (await client.post("/api/v1/jobs", json=body)).status_code == 202
                api_rate = jobs / (time.perf_counter() - began)
                began = time.perf_counter()
                for i in range(jobs):
                    body = {
                        "image_url": f"https://example.com/{i}.png",
                        "motion_prompt": f"push in {i}",
                        "model": "motion",
                    }
                    assert (await client.post("/jobs", json=body)).status_code == 200
                seed_rate = jobs / (time.perf_counter() - began)
                began = time.perf_counter()
                for i in range(jobs):
                    req = GenerationRequest(
                        task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt=f"direct {i}", seed=i
                    )
                    await submit_job(req, rt=state.rt, client=state.client)
                direct_rate = jobs / (time.perf_counter() - began)
                db = settings.data_path / "storyreel.db"
                await asyncio.to_thread(_fill_library, db, SMALL)
                small_first, small_deep = await _p95(client, pages)
                await asyncio.to_thread(_fill_library, db, LARGE)
                large_first, large_deep = await _p95(client, pages)
    ms = 1000.0
    return [
        Result("POST /api/v1/jobs", api_rate, "jobs/s", direct_rate, "submit_job direct"),
        Result(
            "seed 004 POST /jobs (URL fetched)",
            seed_rate,
            "jobs/s",
            direct_rate,
            "submit_job direct",
        ),
        Result("library first page p95 @100k", large_first * ms, "ms", small_first * ms, "@1k"),
        Result(
            "library deep page p95 @100k",
            large_deep * ms,
            "ms",
            small_deep * ms,
            "@1k",
            note="keyset pagination: within 1.5x of the 1k page",
        ),
    ]


def run() -> list[Result]:
    return asyncio.run(measure(JOBS, PAGES))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=JOBS)
    parser.add_argument("--pages", type=int, default=PAGES)
    args = parser.parse_args()
    for result in asyncio.run(measure(args.jobs, args.pages)):
        ratio = "" if result.ratio is None else f"  ({result.ratio:.2f}x {result.reference_name})"
        print(f"{result.name:<40} {result.value:10.2f} {result.unit}{ratio}")
