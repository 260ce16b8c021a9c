"""The library's keyset pages: newest first, every filter, the cursor across pages (read
by output order, or by job order when a job's model or project is the filter)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storyreel.engine.runtime import Runtime
from storyreel.errors import InputError
from storyreel.services import library
from tests.web.library_seed import START, prompt_of, seed_library


async def _walk(rt: Runtime, limit: int, **filters: object) -> list[str]:
    seen: list[str] = []
    before = None
    while True:
        items, before = await library.list_assets(rt, limit=limit, before=before, **filters)
        seen += [i.job_id for i in items]
        if before is None:
            return seen


async def test_every_filter_pages_through_all_its_assets(rt: Runtime) -> None:
    made = await seed_library(rt, 40, videos=4, day_step=timedelta(hours=1))
    newest = [m.job_id for m in reversed(made)]
    assert await _walk(rt, 7) == newest
    items, _ = await library.list_assets(rt, limit=1)
    assert items[0].prompt == prompt_of(43) and items[0].thumbnail_sha256
    sketch = [m.job_id for m in reversed(made) if m.model == "sketch:previz"]
    assert await _walk(rt, 6, model="sketch:previz") == sketch
    assert await _walk(rt, 6, model="sketch:previz", kind="video") == []
    assert await _walk(rt, 3, kind="video") == newest[:4]
    projects = await library.project_choices(rt)
    assert [title for _, title in projects] == ["Lighthouse story"]
    in_project = [m.job_id for n, m in enumerate(made) if n % 3 == 0][::-1]
    assert await _walk(rt, 4, project_id=projects[0][0]) == in_project
    since, until = START + timedelta(hours=10), START + timedelta(hours=20)
    window = [m.job_id for m in made[10:20]][::-1]
    assert await _walk(rt, 3, since=since, until=until) == window
    by_model = [m.job_id for m in made[10:20] if m.model == "fal:flux"][::-1]
    assert await _walk(rt, 2, since=since, until=until, model="fal:flux") == by_model


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_bad_cursor_is_one_clear_error(rt: Runtime) -> None:
    with pytest.raises(InputError, match="bad page cursor"):
        await library.list_assets(rt, before="nope")
