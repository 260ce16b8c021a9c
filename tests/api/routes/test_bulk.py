"""``/api/v1/bulk``: the dry run prices the matrix and creates nothing, a run makes every
video (status, index.csv, export under seed 004's names), the same body again buys
nothing, and bad input is one 4xx line."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from pathlib import Path

import httpx
from sqlalchemy import func, select

from storyreel.api.state import ApiState
from storyreel.config import ProviderSettings
from storyreel.errors import BudgetExceeded
from storyreel.store.models import Job

from ..conftest import api_settings, png, running_api

PROMPTS = "Camera slowly zooms in\n---\nThe subject turns and smiles\n"


async def upload(api: httpx.AsyncClient, color: str) -> str:
    made = await api.post(
        "/api/v1/uploads", files={"file": (f"{color}.png", png(color), "image/png")}
    )
    assert made.status_code == 201, made.text
    sha: str = made.json()["sha256"]
    return sha


async def job_count(state: ApiState) -> int:
    async with state.rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Job)) or 0)


async def test_the_dry_run_prices_every_pair_and_creates_nothing(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (api, state):
        images = [{"sha256": await upload(api, c), "name": f"{c}.png"} for c in ("red", "blue")]
        plan = await api.post(
            "/api/v1/bulk/estimate",
            json={"prompts": PROMPTS, "images": images, "model": "kling", "duration": 10},
        )
        assert plan.status_code == 200, plan.text
        body = plan.json()
        assert body["jobs"] == 4 and body["total_usd"] == "2.800000"  # 4 x $0.70 (10 s)
        assert [(i["image"], i["prompt_number"]) for i in body["items"]] == [
            ("red.png", 1),
            ("red.png", 2),
            ("blue.png", 1),
            ("blue.png", 2),
        ]
        assert await job_count(state) == 0


async def test_a_bulk_runs_reports_and_exports_and_repeats_for_free(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (api, state):
        images = [{"sha256": await upload(api, c)} for c in ("red", "green")]
        body = {"prompts": ["push in", "pan left"], "images": images, "model": "motion"}
        run = await api.post("/api/v1/bulk", json=body)
        assert run.status_code == 202, run.text
        bulk = run.json()
        assert (bulk["jobs"], bulk["created"], bulk["reused"]) == (4, 4, 0)
        for _ in range(600):
            status = (await api.get(f"/api/v1/bulk/{bulk['bulk_id']}")).json()
            if status["finished"] == status["jobs"]:
                break
            await asyncio.sleep(0.1)
        assert status["states"] == {"succeeded": 4}, status
        index = await api.get(f"/api/v1/bulk/{bulk['bulk_id']}/index.csv")
        assert index.status_code == 200 and index.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(index.text)))
        assert [(r["prompt"], r["status"]) for r in rows] == [
            ("push in", "succeeded"),
            ("pan left", "succeeded"),
        ] * 2
        exported = (await api.post(f"/api/v1/bulk/{bulk['bulk_id']}/export")).json()
        assert exported["rows"] == 4 and len(exported["files"]) == 4
        pattern = re.compile(r"^job_[0-9A-Z]{26}_motion_(push_in|pan_left)\.mp4$")
        assert all(pattern.match(name) for name in exported["files"]), exported
        folder = state.settings.data_path / "downloads"
        assert sorted(p.name for p in folder.glob("*.mp4")) == sorted(exported["files"])
        assert (folder / "index.csv").exists()

        again = (await api.post("/api/v1/bulk", json=body)).json()
        assert again["bulk_id"] == bulk["bulk_id"]
        assert (again["created"], again["reused"]) == (0, 4)
        assert await job_count(state) == 4


async def test_bad_bulk_requests_are_one_line_4xx(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (api, state):
        sha = await upload(api, "red")
        cases = [
            ({"prompts": "a", "images": [{"sha256": "0" * 64}]}, "no uploaded image"),
            ({"prompts": "---\n\n---", "images": [{"sha256": sha}]}, "holds no prompts"),
            ({"prompts": ["a", " "], "images": [{"sha256": sha}]}, "must hold some text"),
            (
                {"prompts": "a\n---\nb", "images": [{"sha256": sha}], "one_to_one": True},
                "1 image and 2 prompts",
            ),
            ({"prompts": "a", "images": [{"sha256": sha}], "model": "sketch"}, "image-to-video"),
            ({"prompts": "a", "images": []}, "images"),
        ]
        for body, message in cases:
            answer = await api.post("/api/v1/bulk", json=body)
            assert answer.status_code == 422, (body, answer.text)
            assert message in answer.json()["detail"], (body, answer.text)
        missing = await api.get("/api/v1/bulk/01ARZ3NDEKTSV4RRFFQ69G5FAV")
        assert missing.status_code == 404 and "no bulk" in missing.json()["detail"]
        assert await job_count(state) == 0


async def test_a_bulk_over_its_budget_is_refused_whole(tmp_path: Path) -> None:
    fal = ProviderSettings(api_key="never-used", base_url="http://127.0.0.1:9")
    settings = api_settings(tmp_path, settings={"providers": {"fal": fal}})
    async with running_api(settings) as (api, state):
        images = [{"sha256": await upload(api, c)} for c in ("red", "green")]
        body = {"prompts": PROMPTS, "images": images, "model": "kling", "budget_usd": "1.00"}
        over = await api.post("/api/v1/bulk", json=body)
        assert over.status_code == BudgetExceeded.http_status, over.text
        assert "would cost $1.40" in over.json()["detail"]
        assert await job_count(state) == 0
