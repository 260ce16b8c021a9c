"""The web UI's library page with 100,000 assets, measured in a real browser (Debian's
chromium through Playwright), beside the same page with 1,000 assets:

- first contentful paint of ``/ui/library`` (``performance.getEntriesByType('paint')``),
  each sample in a fresh browser context (nothing cached), with the sign-in page's (the
  same stylesheet and scripts, no data) as the machine's floor;
- the server's response time for the page (the navigation entry's ``responseStart -
  requestStart``), and for a batch of 100 cards deep in the library (the fragment the
  infinite scroll fetches, by keyset cursor);
- the size of that 100-card fragment.

Rows go straight into SQLite (jobs, assets, outputs; the thumbnails share a few real JPEG
files in the asset store) on a live server (API + UI), as ``bench/api.py`` fills its library.

    python bench/library_paint.py [--samples 9]
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Result
from storyreel.api.state import ApiState
from storyreel.config import ApiSettings
from storyreel.ids import new_id
from storyreel.media.images import make_thumbnail
from tests.web.conftest import CHROMIUM_ARGS, chromium_path
from tests.web.live import LiveServer

SAMPLES = 9
SMALL, LARGE = 1_000, 100_000
THUMBS = 8
FCP_JS = "performance.getEntriesByType('paint').some(e => e.name === 'first-contentful-paint')"
READ_JS = """() => {
  const fcp = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');
  const nav = performance.getEntriesByType('navigation')[0];
  return {fcp: fcp.startTime, response: nav.responseStart - nav.requestStart,
          cards: document.querySelectorAll('#grid .lib-card').length};
}"""


async def _thumbnails(state: ApiState) -> list[str]:
    """A few real 150 px JPEGs in the store, shared by every asset row."""
    shas = []
    for n in range(THUMBS):
        buffer = io.BytesIO()
        Image.new("RGB", (240, 160), (30 * n, 200 - 20 * n, 120)).save(buffer, format="PNG")
        sha, _ = state.rt.assets.put(make_thumbnail(buffer.getvalue()), "image/jpeg")
        shas.append(sha)
    return shas


def _fill(db: Path, upto: int, thumbs: list[str]) -> None:
    """Jobs, assets and outputs rows straight into SQLite, up to ``upto`` assets."""
    with sqlite3.connect(db) as conn:
        have = conn.execute("SELECT count(*) FROM job_outputs").fetchone()[0]
        now = datetime.now(UTC).isoformat()
        jobs, outputs, assets = [], [], []
        for i in range(have, upto):
            job_id, sha = new_id(), f"{i:064x}"
            video = i % 10 == 0
            model = "fal:fal-ai/flux-2-pro" if i % 2 else "sketch:previz"
            request = json.dumps({"model": model, "prompt": f"a lighthouse at dusk, take {i}"})
            task = "image-to-video" if video else "text-to-image"
            jobs.append((job_id, task, model.split(":")[0], model, request, sha, now))
            mime = "video/mp4" if video else "image/png"
            outputs.append((job_id, 0, sha, mime))
            assets.append(
                (sha, mime, 250_000, 1024, 768, 5.0 if video else None, thumbs[i % THUMBS])
            )
        conn.executemany(
            "INSERT INTO jobs (id, task, provider, model, status, request, request_hash, "
            "submit_attempts, polls, possibly_billed_twice, cost_usd, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 'succeeded', ?, ?, 0, 0, 0, 0.04, ?, ?)",
            [(*job, now) for job in jobs],
        )
        conn.executemany(
            "INSERT INTO assets (sha256, mime, size, width, height, duration, thumbnail_sha256, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*asset, now) for asset in assets],
        )
        conn.executemany(
            "INSERT INTO job_outputs (job_id, position, asset_sha256, mime) VALUES (?, ?, ?, ?)",
            outputs,
        )


def _paint(browser: object, url: str, samples: int, cards: int = 100) -> tuple[float, float]:
    """Median first contentful paint and page response time (ms), cold cache each time."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    fcps, responses = [], []
    for _ in range(samples):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_function(FCP_JS)
        seen = page.evaluate(READ_JS)
        assert seen["cards"] == cards, f"the page showed {seen['cards']} cards, not {cards}"
        fcps.append(seen["fcp"])
        responses.append(seen["response"])
        context.close()
    return statistics.median(fcps), statistics.median(responses)


def _deep_batch(live: LiveServer, samples: int) -> tuple[float, int]:
    """Median response time (ms) and size (bytes) of a 100-card batch 50 batches deep."""
    with httpx.Client(base_url=live.base_url, timeout=60) as client:
        url = "/ui/library"
        for _ in range(50):
            html = client.get(url, headers={"hx-request": "true"}).text
            found = re.search(r'class="lib-more" hx-get="([^"]+)"', html)
            assert found, "the library ended before 50 batches"
            url = found.group(1).replace("&amp;", "&")
        times, size = [], 0
        for _ in range(samples * 4):
            began = time.perf_counter()
            response = client.get(url, headers={"hx-request": "true"})
            times.append((time.perf_counter() - began) * 1000)
            size = len(response.content)
            assert response.text.count('class="lib-card"') == 100
    return statistics.median(times), size


def measure(samples: int) -> list[Result]:
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Debian's chromium is needed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as folder,
        LiveServer(Path(folder), api=ApiSettings(run_jobs=False)) as live,
        sync_playwright() as playwright,
    ):
        assert live.settings is not None
        db = live.settings.data_path / "storyreel.db"
        thumbs = live.call(_thumbnails)
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        url = live.url("/ui/library")
        _fill(db, SMALL, thumbs)
        _paint(browser, url, 1)  # warm the server (templates, catalog) before sampling
        bare_fcp, _ = _paint(browser, live.url("/ui/login"), samples, cards=0)
        small_fcp, small_response = _paint(browser, url, samples)
        _fill(db, LARGE, thumbs)
        large_fcp, large_response = _paint(browser, url, samples)
        deep_ms, deep_size = _deep_batch(live, samples)
        browser.close()
    return [
        Result(
            "library first contentful paint @100k",
            large_fcp,
            "ms",
            small_fcp,
            "@1k",
            note=f"the sign-in page (no data) paints at {bare_fcp:.0f} ms on this machine",
        ),
        Result(
            "library page server response @100k",
            large_response,
            "ms",
            small_response,
            "@1k",
            note="keyset batches: the 100k page costs what the 1k page costs",
        ),
        Result(
            "library 100-card batch 50 deep @100k",
            deep_ms,
            "ms",
            large_response,
            "first page @100k",
            note=f"the fragment is {deep_size / 1024:.0f} KB (uncompressed)",
        ),
    ]


def run() -> list[Result]:
    return measure(SAMPLES)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=SAMPLES)
    args = parser.parse_args()
    for result in measure(args.samples):
        ratio = "" if result.ratio is None else f"  ({result.ratio:.2f}x {result.reference_name})"
        print(f"{result.name:<40} {result.value:10.1f} {result.unit}{ratio}")
        if result.note:
            print(f"{'':<40} {result.note}")
