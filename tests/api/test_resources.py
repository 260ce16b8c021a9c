"""storyreel's own resources under /api/v1: jobs, images, uploads, library, catalog,
estimates, health, events; auth, limits and hostile paths."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from storyreel.api.security import hash_key

from .conftest import api_settings, png, running_api

SKETCH = {"model": "sketch", "prompt": "a lighthouse at dusk", "width": 160, "height": 96}


async def _done(api: httpx.AsyncClient, job_id: str) -> dict[str, object]:
    async with api.stream("GET", f"/api/v1/jobs/{job_id}/events") as stream:
        events = [line async for line in stream.aiter_lines() if line.startswith("event:")]
    assert events[-1] == "event: end" and "event: progress" in events
    return (await api.get(f"/api/v1/jobs/{job_id}")).json()  # type: ignore[no-any-return]


async def test_job_lifecycle_library_and_downloads(api: httpx.AsyncClient) -> None:
    created = await api.post("/api/v1/jobs", json=SKETCH | {"seed": 1})
    assert created.status_code == 202, created.text
    job = await _done(api, created.json()["id"])
    assert job["status"] == "succeeded" and job["cost_usd"] == "0.000000"
    output = job["outputs"][0]  # type: ignore[index]
    image = await api.get(output["url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    thumb = await api.get(output["thumbnail_url"])
    assert thumb.headers["content-type"] == "image/jpeg"
    for seed in (2, 3):
        await _done(
            api, (await api.post("/api/v1/images", json=SKETCH | {"seed": seed})).json()["id"]
        )
    page = (await api.get("/api/v1/assets?limit=2&kind=image")).json()
    assert len(page["assets"]) == 2 and page["next_before"]
    rest = (await api.get(f"/api/v1/assets?limit=2&before={page['next_before']}")).json()
    assert len(rest["assets"]) == 1 and rest["next_before"] is None
    assert (await api.get("/api/v1/assets?kind=video")).json()["assets"] == []
    assert (await api.get("/api/v1/assets?model=sketch:previz")).json()["assets"]
    assert (await api.get("/api/v1/assets?since=2999-01-01T00:00:00Z")).json()["assets"] == []
    jobs = (await api.get("/api/v1/jobs?limit=2&status=succeeded")).json()
    assert len(jobs["jobs"]) == 2 and jobs["next_before"]
    assert (await api.get("/api/v1/videos")).json()["jobs"] == []
    # A finished job cannot be cancelled or retried; a cancelled one can be retried.
    assert (await api.post(f"/api/v1/jobs/{job['id']}/cancel")).status_code == 422
    assert (await api.post(f"/api/v1/jobs/{job['id']}/retry")).status_code == 422


async def test_cancel_then_retry(tmp_path: Path) -> None:
    slow = {"settings": {"providers": {"sketch": {"latency": 30}}}}
    async with running_api(api_settings(tmp_path, **slow)) as (api, _state):
        job = (await api.post("/api/v1/jobs", json=SKETCH)).json()
        canceled = await api.post(f"/api/v1/jobs/{job['id']}/cancel")
        assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
        again = await api.post(f"/api/v1/jobs/{job['id']}/retry")
        assert again.status_code == 202 and again.json()["id"] != job["id"]


async def test_uploads_and_reference_assets(api: httpx.AsyncClient) -> None:
    up = await api.post("/api/v1/uploads", files={"file": ("ref.png", png(), "image/png")})
    assert up.status_code == 201, up.text
    sha = up.json()["sha256"]
    made = await api.post(
        "/api/v1/jobs",
        json={"kind": "video", "model": "motion", "prompt": "push in", "reference_assets": [sha]},
    )
    assert made.status_code == 202, made.text
    assert made.json()["request"]["references"][0]["asset"] == sha
    multipart = await api.post(
        "/api/v1/images/upload",
        data={"model": "sketch", "prompt": "the same hero"},
        files={"files": ("a.png", png("green"), "image/png")},
    )
    assert multipart.status_code == 202, multipart.text
    not_image = await api.post(
        "/api/v1/uploads", files={"file": ("x.png", b"GIF89a-no", "image/png")}
    )
    assert not_image.status_code == 422


async def test_catalog_and_estimates(api: httpx.AsyncClient) -> None:
    models = (await api.get("/api/v1/models")).json()["models"]
    assert any(m["id"] == "sketch:previz" for m in models)
    assert (await api.get("/api/v1/models/kling")).json()["id"].startswith("fal:")
    estimate = await api.post(
        "/api/v1/estimate",
        json={
            "kind": "video",
            "model": "kling",
            "prompt": "zoom",
            "reference_urls": ["https://e.com/a.png"],
            "duration": 10,
        },
    )
    assert estimate.json()["estimate_usd"] == "0.700000"  # seed 004: $0.35 + 5 s x $0.07
    over = await api.post(
        "/api/v1/jobs",
        json={
            **SKETCH,
            "model": "kling",
            "kind": "video",
            "budget_usd": "0.1",
            "reference_urls": ["https://example.com/a.png"],
        },
    )
    assert over.status_code == 402 and "budget" in over.json()["detail"]
    assert (await api.get("/api/v1/jobs")).json()["jobs"] == []


async def test_bad_inputs_are_one_line_4xx(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/v1/jobs/NOPE")).status_code == 404
    assert (await api.get("/api/v1/jobs/NOPE/events")).status_code == 404
    bad = await api.post("/api/v1/jobs", json={"model": "no-such-model", "prompt": "x"})
    assert bad.status_code in (404, 422) and isinstance(bad.json()["detail"], str)
    assert (
        await api.post("/api/v1/jobs", json={"model": "sketch", "prompt": ""})
    ).status_code == 422
    assert (await api.post("/api/v1/jobs", json={**SKETCH, "surprise": 1})).status_code == 422
    assert (await api.get("/api/v1/assets?before=garbage")).status_code == 422
    for moment in ("9999-12-31T00:00:00Z", "0001-01-01T00:00:00"):
        assert (await api.get(f"/api/v1/assets?since={moment}&until={moment}")).status_code == 200
    for path in ("../../etc/passwd", "..%2F..%2Fstoryreel.db", "a" * 64):
        assert (await api.get(f"/api/v1/assets/{path}")).status_code in (404, 422)
    health = (await api.get("/api/v1/health")).json()
    assert health["status"] == "ok" and health["jobs"] == "embedded"


async def test_story_plan_and_status(api: httpx.AsyncClient) -> None:
    story = {
        "title": "Lamp",
        "characters": [{"name": "Mira", "description": "a keeper"}],
        "story": "Mira climbs the stairs. Mira lights the lamp.",
    }
    planned = await api.post("/api/v1/stories/plan", json=story)
    assert planned.status_code == 200, planned.text
    assert planned.json()["title"] == "Lamp" and len(planned.json()["shots"]) >= 2
    yaml_file = "title: Lamp\ncharacters: [{name: Mira}]\nstory: Mira waits.\n"
    up = await api.post(
        "/api/v1/stories/plan/upload", files={"file": ("s.yaml", yaml_file.encode(), "text/yaml")}
    )
    assert up.status_code == 200, up.text
    assert (await api.post("/api/v1/stories/plan", json={"title": 1})).status_code == 422
    assert (await api.get("/api/v1/stories/NOPE/status")).status_code == 404


async def test_api_keys_body_limit_and_cors(tmp_path: Path) -> None:
    settings = api_settings(
        tmp_path,
        key_hashes=[hash_key("sr-right")],
        max_body_bytes=2000,
        cors_origins=["https://ui.example"],
    )
    async with running_api(settings) as (api, _state):
        assert (await api.get("/api/v1/jobs")).status_code == 401
        wrong = await api.get("/api/v1/jobs", headers={"Authorization": "Bearer sr-wrong"})
        assert wrong.status_code == 401 and wrong.json() == {"detail": "unknown API key"}
        ok = await api.get("/api/v1/jobs", headers={"Authorization": "Bearer sr-right"})
        assert ok.status_code == 200
        assert (await api.post("/generate", json={"prompt": "x"})).status_code == 401
        assert (await api.get("/health")).status_code == 200  # monitoring stays open
        big = await api.post(
            "/api/v1/jobs",
            content=json.dumps({"prompt": "x" * 5000}),
            headers={"Authorization": "Bearer sr-right", "Content-Type": "application/json"},
        )
        assert big.status_code == 413
        preflight = await api.options(
            "/api/v1/jobs",
            headers={"Origin": "https://ui.example", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.headers["access-control-allow-origin"] == "https://ui.example"
    async with running_api(api_settings(tmp_path / "open")) as (api, _state):
        no_cors = await api.get("/api/v1/jobs", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in no_cors.headers
