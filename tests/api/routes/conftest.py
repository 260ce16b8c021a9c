"""Shared by the story route tests: a tiny two-shot story on the offline models (sketch
panels, motion clips, 128x72, half-second shots), an app on a real engine, and waiting for
a background run to end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from storyreel.api.state import ApiState
from storyreel.store.models import Job

from ..conftest import api_settings, running_api

STORY: dict[str, Any] = {
    "title": "Two shots",
    "characters": [
        {"name": "Ines", "description": "a tall woman with short black hair"},
    ],
    "beats": [
        {
            "setting": "a windy hill",
            "shots": [
                {"action": "Ines unrolls a kite", "characters": ["Ines"]},
                {"action": "The kite climbs", "characters": ["Ines"]},
            ],
        }
    ],
    "render": {
        "image_model": "sketch:previz",
        "video_model": "motion:kenburns",
        "width": 128,
        "height": 72,
        "fps": 4,
        "duration": 0.5,
        "transition_frames": 0,
    },
}
BASE = "/api/v1/stories"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, ApiState]]:
    async with running_api(api_settings(tmp_path)) as pair:
        yield pair


async def until_ended(client: httpx.AsyncClient, story_id: str) -> dict[str, Any]:
    for _ in range(1200):
        response = await client.get(f"{BASE}/{story_id}/status")
        assert response.status_code == 200, response.text
        snapshot: dict[str, Any] = response.json()
        if snapshot["run"]["state"] != "running":
            return snapshot
        await asyncio.sleep(0.1)
    raise AssertionError(f"story run did not end: {snapshot}")


async def story_jobs(state: ApiState, project_id: str) -> list[Job]:
    async with state.rt.db.session() as session:
        rows = await session.execute(select(Job).where(Job.project_id == project_id))
        return list(rows.scalars().all())


def panels_of(jobs: list[Job]) -> list[Job]:
    return [j for j in jobs if not j.task.endswith("video")]
