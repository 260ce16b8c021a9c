"""A stored story's progress through ``/api/v1/stories/{id}/status`` and ``/events``
(``api/routes/stories.py``): given a story id they follow its last run, and the stream
ends when the run does, failed runs included."""

from __future__ import annotations

import httpx

from storyreel.api.state import ApiState

from .conftest import BASE, STORY


async def test_the_event_stream_ends_with_the_run_and_a_failed_run_says_why(
    served: tuple[httpx.AsyncClient, ApiState],
) -> None:
    client, _state = served
    story_id = (await client.post(BASE, json=STORY)).json()["id"]
    # a clip redo needs the shot's panel: the background run fails, and says so
    assert (
        await client.post(f"{BASE}/{story_id}/redo", json={"shot": 1, "stage": "clip"})
    ).status_code == 202
    async with client.stream("GET", f"{BASE}/{story_id}/events") as stream:
        lines = [line async for line in stream.aiter_lines() if line.startswith("event:")]
    assert lines[-1] == "event: end"
    final = (await client.get(f"{BASE}/{story_id}/status")).json()
    assert final["run"]["state"] == "failed" and final["stage"] == "failed"
    assert "shot 1 has no panel yet" in final["run"]["error"]
    assert any("no panel yet" in error for error in final["errors"])
