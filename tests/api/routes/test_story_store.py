"""Stored stories through the API (``api/routes/story_store.py``): create (JSON or file),
reference upload, a background run on the app's engine followed through ``/status``,
outputs downloaded, a one-shot redo, and hostile input (bad bodies, unknown ids, path
traversal). Offline models, tiny sizes."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from storyreel.api.state import ApiState
from storyreel.store.models import Character, Shot

from ..conftest import api_settings, png, running_api
from .conftest import BASE, STORY, panels_of, story_jobs, until_ended


async def test_create_run_follow_and_download(
    served: tuple[httpx.AsyncClient, ApiState],
) -> None:
    client, _state = served
    created = await client.post(BASE, json=STORY)
    assert created.status_code == 201, created.text
    story_id = created.json()["id"]
    assert created.json()["title"] == "Two shots"
    assert (await client.get(f"{BASE}/{story_id}")).json()["run"] is None

    started = await client.post(f"{BASE}/{story_id}/run", json={"budget_usd": "1"})
    assert started.status_code == 202, started.text
    assert started.json()["run"]["state"] == "running"
    again = await client.post(f"{BASE}/{story_id}/run")
    assert again.status_code == 409, again.text  # a run takes seconds: this one is going
    assert "is running" in again.json()["detail"]

    final = await until_ended(client, story_id)
    assert final["run"]["state"] == "succeeded", final
    assert final["stage"] == "done"
    assert [s["clip"] for s in final["shots"]] == ["succeeded", "succeeded"]
    assert Decimal(final["budget_usd"]) == 1
    # the project's own progress route shows the same run
    by_project = await client.get(f"{BASE}/{final['project_id']}/status")
    assert by_project.json()["shots"] == final["shots"]

    listed = (await client.get(f"{BASE}/{story_id}/outputs")).json()
    files = {f["file"] for f in listed["files"]}
    assert {"story.mp4", "contact_sheet.png", "manifest.json"} <= files
    assert "panels/shot_001.png" in files
    video = await client.get(listed["video"]["url"])
    assert video.status_code == 200
    assert hashlib.sha256(video.content).hexdigest() == listed["video"]["sha256"]
    sheet = await client.get(listed["contact_sheet"]["url"])
    assert sheet.content[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = await client.get(f"{BASE}/{story_id}/outputs/manifest.json")
    assert json.loads(manifest.content)["project_id"] == final["project_id"]


async def test_the_uploaded_reference_is_what_the_panels_carry(
    served: tuple[httpx.AsyncClient, ApiState],
) -> None:
    client, state = served
    story_id = (await client.post(BASE, json=STORY)).json()["id"]
    image = png("teal", (96, 96))
    uploaded = await client.post(
        f"{BASE}/{story_id}/characters/Ines/reference",
        files={"file": ("ines.png", image, "image/png")},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["characters"] == [{"name": "Ines", "reference": "refs/00.png"}]
    await client.post(f"{BASE}/{story_id}/run")
    final = await until_ended(client, story_id)
    assert final["run"]["state"] == "succeeded", final
    sha = hashlib.sha256(image).hexdigest()
    async with state.rt.db.session() as session:
        ines = (
            await session.execute(
                select(Character).where(Character.project_id == final["project_id"])
            )
        ).scalar_one()
    assert ines.reference_asset == sha
    panels = panels_of(await story_jobs(state, final["project_id"]))
    shot_panels = [j for j in panels if "kite" in (j.request.get("prompt") or "")]
    assert shot_panels and all(
        sha in json.dumps(j.request.get("references")) for j in shot_panels
    ), "a panel was drawn without the uploaded reference"


async def test_a_redo_remakes_exactly_one_panel(
    served: tuple[httpx.AsyncClient, ApiState],
) -> None:
    client, state = served
    story_id = (await client.post(BASE, json=STORY)).json()["id"]
    await client.post(f"{BASE}/{story_id}/run")
    first = await until_ended(client, story_id)
    assert first["run"]["state"] == "succeeded", first
    before = await story_jobs(state, first["project_id"])

    bad = await client.post(f"{BASE}/{story_id}/redo", json={"shot": 9, "stage": "panel"})
    assert bad.status_code == 422
    assert bad.json()["detail"] == "shot 9: the story has shots 1-2"
    redone = await client.post(f"{BASE}/{story_id}/redo", json={"shot": 2, "stage": "panel"})
    assert redone.status_code == 202, redone.text
    second = await until_ended(client, story_id)
    assert second["run"]["state"] == "succeeded", second
    after = await story_jobs(state, first["project_id"])
    new = {j.id for j in after} - {j.id for j in before}
    assert len(new) == 1, [j.task for j in after if j.id in new]
    (job,) = [j for j in after if j.id in new]
    assert not job.task.endswith("video") and job.status == "succeeded"


async def test_bad_story_bodies_get_one_message_and_store_nothing(
    served: tuple[httpx.AsyncClient, ApiState],
) -> None:
    client, state = served
    cases: list[tuple[dict[str, Any], str]] = [
        ({"json": {"title": "no beats"}}, "story.json:"),
        ({"json": STORY | {"render": {"width": 10, "height": 10}}}, "render.width"),
        (
            {"json": STORY | {"characters": [{"name": "Ines", "references": ["/etc/passwd"]}]}},
            "reference files cannot be sent",
        ),
        ({"json": ["a", "list"]}, "valid dictionary"),
        ({"files": {"file": ("l.yaml", b"- a list", "text/yaml")}}, "l.yaml: expected a mapping"),
    ]
    for kwargs, expected in cases:
        path = f"{BASE}/upload" if "files" in kwargs else BASE
        response = await client.post(path, **kwargs)
        assert response.status_code == 422, response.text
        assert expected in response.json()["detail"]
        assert "\n" not in response.json()["detail"]
    upload = await client.post(
        f"{BASE}/upload", files={"file": ("s.yaml", b"title: [unclosed", "text/yaml")}
    )
    assert upload.status_code == 422
    assert upload.json()["detail"].startswith("s.yaml is not a UTF-8 YAML file")
    odd = await client.post(
        f"{BASE}/upload", files={"file": ("d.yaml", b"2024-01-01: a date key", "text/yaml")}
    )
    assert odd.status_code == 422, odd.text
    assert odd.json()["detail"].startswith("d.yaml: ")
    stored = state.settings.data_dir / "stories"
    assert not stored.exists() or list(stored.iterdir()) == []

    good = await client.post(
        f"{BASE}/upload",
        files={"file": ("s.yaml", json.dumps(STORY).encode(), "text/yaml")},
    )
    assert good.status_code == 201, good.text


async def test_unknown_ids_and_traversal_are_refused(
    served: tuple[httpx.AsyncClient, ApiState],
) -> None:
    client, state = served
    story_id = (await client.post(BASE, json=STORY)).json()["id"]
    unknown = "0" * 32
    for method, path in [
        ("GET", f"{BASE}/{unknown}"),
        ("POST", f"{BASE}/{unknown}/run"),
        ("GET", f"{BASE}/{unknown}/outputs"),
        ("GET", f"{BASE}/{unknown}/status"),
        ("GET", f"{BASE}/..%2F..%2Fetc"),
        ("GET", f"{BASE}/%2E%2E/outputs"),
        ("GET", f"{BASE}/{story_id}/outputs"),  # not run yet
        ("GET", f"{BASE}/{story_id}/outputs/..%2Fstory.json"),
        ("GET", f"{BASE}/{story_id}/outputs/%2Fetc%2Fpasswd"),
        ("GET", f"{BASE}/{story_id}/outputs/a%00b"),
    ]:
        response = await client.request(method, path)
        assert response.status_code == 404, (path, response.text)
        assert "root:" not in response.text
    response = await client.post(
        f"{BASE}/{story_id}/characters/..%2F..%2Fx/reference",
        files={"file": ("x.png", png(), "image/png")},
    )
    assert response.status_code == 404
    not_image = await client.post(
        f"{BASE}/{story_id}/characters/Ines/reference",
        files={"file": ("x.png", b"not an image", "image/png")},
    )
    assert not_image.status_code == 422
    assert not list((state.settings.data_dir / "stories" / story_id).glob("refs/*.png"))

    # a symlink planted in the outputs folder leads nowhere
    out = state.settings.data_dir / "stories" / story_id / "out"
    out.mkdir()
    (out / "leak").symlink_to(state.settings.data_dir / "stories" / story_id / "story.json")
    assert (await client.get(f"{BASE}/{story_id}/outputs/leak")).status_code == 404


async def test_a_server_that_runs_no_jobs_refuses_to_run_a_story(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path, run_jobs=False)) as (client, _state):
        story_id = (await client.post(BASE, json=STORY)).json()["id"]
        response = await client.post(f"{BASE}/{story_id}/run")
    assert response.status_code == 503
    assert "runs no jobs" in response.json()["detail"]


async def test_pick_and_finalize_run_the_story_again(
    served: tuple[httpx.AsyncClient, ApiState],
) -> None:
    client, state = served
    drafted = STORY | {
        "render": STORY["render"] | {"candidates": 2, "draft_model": "sketch:previz"}
    }
    story_id = (await client.post(BASE, json=drafted)).json()["id"]
    await client.post(f"{BASE}/{story_id}/run")
    assert (await until_ended(client, story_id))["run"]["state"] == "succeeded"

    outside = await client.post(f"{BASE}/{story_id}/pick", json={"shot": 1, "candidate": 3})
    assert outside.status_code == 422 and "pick 1 to 2" in outside.json()["detail"]
    picked = await client.post(f"{BASE}/{story_id}/pick", json={"shot": 1, "candidate": 2})
    assert picked.status_code == 202, picked.text
    ended = await until_ended(client, story_id)
    assert ended["run"]["state"] == "succeeded" and ended["run"]["shots"] == [1]
    async with state.rt.db.session() as session:
        shot = (
            await session.execute(
                select(Shot).where(Shot.project_id == ended["project_id"], Shot.number == 1)
            )
        ).scalar_one()
    assert shot.picked_candidate == 2

    unknown = await client.post(f"{BASE}/{story_id}/finalize", json={"shots": [5]})
    assert unknown.status_code == 422 and "shot(s) 5" in unknown.json()["detail"]
    empty = await client.post(f"{BASE}/{story_id}/finalize", json={"shots": []})
    assert empty.status_code == 422
    final = await client.post(f"{BASE}/{story_id}/finalize", json={"shots": [2]})
    assert final.status_code == 202, final.text
    ended = await until_ended(client, story_id)
    assert ended["run"]["state"] == "succeeded" and ended["run"]["finalized"] == [2]
