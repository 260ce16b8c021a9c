"""``/ui/bulk``: the dry run prices the same matrix as ``POST /api/v1/bulk/estimate`` and
creates no job; a file that is not an image is refused in words; a run goes to its page,
whose progress fragment follows every cell to the end; the same matrix again is marked
as already made."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from storyreel.api.state import ApiState
from storyreel.config import ProviderSettings
from storyreel.store.models import Job
from tests.api.conftest import api_settings, png, running_api

from ..browser import check_accessible, snap
from ..live import LiveServer
from ..ui_client import csrf_from

PROMPTS = "Camera slowly zooms in\nThe subject turns <and> smiles\n"


async def job_count(state: ApiState) -> int:
    async with state.rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Job)) or 0)


async def opened(ui: httpx.AsyncClient) -> dict[str, str]:
    ui.headers["accept"] = "text/html"
    page = await ui.get("/ui/bulk")
    assert page.status_code == 200
    return {"x-csrf-token": csrf_from(page.text), "hx-request": "true"}


def images(*colors: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("images", (f"{c}.png", png(c), "image/png")) for c in colors]


def amounts(html: str) -> list[Decimal]:
    cells = re.findall(r'<td class="num cell">\$([0-9.,]+)', html)
    return [Decimal(c.replace(",", "")) for c in cells]


async def test_the_dry_run_is_the_apis_estimate_and_creates_nothing(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (ui, state):
        headers = await opened(ui)
        form = {"prompts": PROMPTS, "model": "kling", "duration": "10"}
        dry = await ui.post(
            "/ui/bulk/estimate", data=form, files=images("red", "blue"), headers=headers
        )
        assert dry.status_code == 200, dry.text
        assert "<html" not in dry.text  # a fragment
        shas = re.findall(r'name="image" value="([0-9a-f]{64}):([^"]+)"', dry.text)
        assert [name for _, name in shas] == ["blue.png", "red.png"]  # sorted, as a folder
        api = await ui.post(
            "/api/v1/bulk/estimate",
            json={
                "prompts": PROMPTS.splitlines(),
                "images": [{"sha256": sha, "name": name} for sha, name in shas],
                "model": "kling",
                "duration": 10,
            },
        )
        body = api.json()
        assert body["jobs"] == 4 and Decimal(body["total_usd"]) == Decimal("2.80")
        total = re.search(r'data-testid="total">\$([0-9.]+)<', dry.text)
        assert total and Decimal(total.group(1)) == Decimal(body["total_usd"])
        assert amounts(dry.text) == [Decimal(i["estimate_usd"]) for i in body["items"]]
        assert 'data-testid="jobs">4<' in dry.text
        assert "The subject turns &lt;and&gt; smiles" in dry.text  # escaped
        assert await job_count(state) == 0


async def test_a_file_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (ui, state):
        headers = await opened(ui)
        fake = [("images", ("fake.png", b"not an image at all", "image/png"))]
        refused = await ui.post(
            "/ui/bulk/estimate", data={"prompts": "a"}, files=images("red") + fake, headers=headers
        )
        assert refused.status_code == 422
        assert 'role="alert"' in refused.text and "fake.png" in refused.text
        notes = [("images", ("notes.txt", b"hello", "text/plain"))]
        refused = await ui.post(
            "/ui/bulk/estimate", data={"prompts": "a"}, files=notes, headers=headers
        )
        assert refused.status_code == 422 and "notes.txt is not an image" in refused.text
        empty = await ui.post(
            "/ui/bulk/estimate", data={"prompts": " \n "}, files=images("red"), headers=headers
        )
        assert empty.status_code == 422 and "at least one prompt" in empty.text
        assert await job_count(state) == 0


async def test_a_run_shows_its_cells_to_the_end_and_a_repeat_is_already_made(
    tmp_path: Path,
) -> None:
    async with running_api(api_settings(tmp_path)) as (ui, state):
        headers = await opened(ui)
        form = {"prompts": "push in\npan left", "model": "motion"}
        dry = await ui.post(
            "/ui/bulk/estimate", data=form, files=images("red", "green"), headers=headers
        )
        run_form = [
            (m.group(1), m.group(2))
            for m in re.finditer(r'<input type="hidden" name="(\w+)" value="([^"]*)">', dry.text)
            if m.group(1) != "csrf_token"
        ]
        started = await ui.post(
            "/ui/bulk/run",
            content=str(httpx.QueryParams(run_form)).encode(),
            headers=headers | {"content-type": "application/x-www-form-urlencoded"},
        )
        assert started.status_code == 200, started.text
        target = started.headers["hx-redirect"]
        assert re.fullmatch(r"/ui/bulk/[0-9A-Za-z]+", target)
        page = await ui.get(target)
        assert page.status_code == 200 and "index.csv" in page.text
        for _ in range(600):
            fragment = (await ui.get(f"{target}/progress", headers=headers)).text
            if "hx-trigger" not in fragment:
                break
            await asyncio.sleep(0.1)
        assert "Finished: 4 of 4 videos" in fragment
        assert fragment.count('<span class="badge ok">succeeded</span>') == 4
        assert len(set(re.findall(r'href="/ui/jobs/(\w+)"', fragment))) == 4
        exported = await ui.post(f"{target}/export", headers=headers)
        assert exported.status_code == 200 and "4 videos" in exported.text

        again = await ui.post(
            "/ui/bulk/estimate", data=form, files=images("red", "green"), headers=headers
        )
        assert 'data-testid="skipped"' in again.text and "4 already made" in again.text
        assert again.text.count('<span class="badge ok">done</span>') == 4
        assert await job_count(state) == 4


async def several(ui: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    """A dry run of one image and two prompts on the motion model and on Kling."""
    return await ui.post(
        "/ui/bulk/estimate",
        files=[*images("red"), *(("model", (None, m)) for m in ("motion", "kling"))],
        data={"prompts": "push in\npan left"},
        headers=headers,
    )


async def run_as_shown(
    ui: httpx.AsyncClient, headers: dict[str, str], dry: httpx.Response
) -> httpx.Response:
    fields = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', dry.text)
    return await ui.post(
        "/ui/bulk/run",
        content=str(httpx.QueryParams([f for f in fields if f[0] != "csrf_token"])).encode(),
        headers=headers | {"content-type": "application/x-www-form-urlencoded"},
    )


async def test_several_models_price_side_by_side_and_refuse_together(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (ui, state):
        headers = await opened(ui)
        dry = await several(ui, headers)
        assert dry.status_code == 200, dry.text
        assert dry.text.count('data-testid="matrix"') == 2
        assert 'data-testid="grand-total">$0.70<' in dry.text  # 2 x $0 + 2 x $0.35
        assert "Run 4 videos" in dry.text and "Budget per model" in dry.text
        too_many = await ui.post(
            "/ui/bulk/estimate",
            files=[*images("red"), *(("model", (None, f"m{i}")) for i in range(5))],
            data={"prompts": "a"},
            headers=headers,
        )
        assert too_many.status_code == 422 and "at most 4 models" in too_many.text
        refused = await run_as_shown(ui, headers, dry)  # no fal key here
        assert refused.status_code == 422 and "has no API key" in refused.text
        assert await job_count(state) == 0  # not even the motion bulk, checked first


async def test_several_models_run_as_one_bulk_each(tmp_path: Path) -> None:
    fal = ProviderSettings(api_key="never-used", base_url="http://127.0.0.1:9")
    async with running_api(api_settings(tmp_path, settings={"providers": {"fal": fal}})) as (
        ui,
        state,
    ):
        headers = await opened(ui)
        started = await run_as_shown(ui, headers, await several(ui, headers))
        assert started.status_code == 200, started.text
        target = started.headers["hx-redirect"]
        assert re.fullmatch(r"/ui/bulk/runs\?id=\w+&id=\w+", target), target
        runs = await ui.get(target)
        assert runs.status_code == 200 and runs.text.count('class="panel progress-panel"') == 2
        assert await job_count(state) == 4


def test_a_dry_run_in_the_browser(page: Page, live: LiveServer, tmp_path: Path) -> None:
    folder = tmp_path / "shots"
    folder.mkdir()
    for color in ("red", "blue"):
        (folder / f"{color}.png").write_bytes(png(color))
    page.goto(live.url("/ui/bulk"))
    page.get_by_label("Prompts, one per line").fill("Camera slowly zooms in\nThe subject smiles")
    page.locator("#files").set_input_files([folder / "red.png", folder / "blue.png"])
    expect(page.get_by_label("Model")).to_have_values([re.compile(r"kling-video/v2.5-turbo")])
    page.get_by_label("Duration (s)").fill("10")
    page.get_by_role("button", name="Estimate (dry run)").click()
    matrix = page.get_by_test_id("matrix")
    expect(matrix.locator("tbody tr")).to_have_count(2)
    expect(matrix.locator("tbody tr").first.locator("td")).to_have_count(2)
    expect(page.get_by_test_id("total")).to_have_text("$2.80")
    assert live.call(job_count) == 0
    snap(page, "bulk")
    check_accessible(page)

    # the same inputs on the offline motion model, run, and followed live to the end
    page.get_by_label("Model").select_option("motion:kenburns")
    page.get_by_label("Duration (s)").fill("")
    page.get_by_role("button", name="Estimate (dry run)").click()
    expect(page.get_by_test_id("total")).to_have_text("$0.00")
    page.get_by_role("button", name="Run 4 videos").click()
    page.wait_for_url(re.compile(r"/ui/bulk/[0-9A-Za-z]+$"))
    expect(page.get_by_role("heading", name="Finished: 4 of 4 videos")).to_be_visible(
        timeout=60_000
    )
    expect(page.get_by_test_id("counts")).to_contain_text("4 done")
    expect(page.get_by_role("link", name="index.csv")).to_be_visible()
    snap(page, "bulk-run")
    check_accessible(page)
