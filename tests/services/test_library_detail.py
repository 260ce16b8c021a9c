"""One library asset with its generation: the lightbox's data and "reuse settings"."""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal

import pytest
from sqlalchemy import update

from storyreel.engine.runtime import Runtime
from storyreel.errors import InputError, NotFound
from storyreel.services import library, library_detail
from storyreel.store.models import IdentityScore, Job
from tests.web.library_seed import prompt_of, seed_library

BAD_ITEMS = ["", "x.0", "0" * 26, "0" * 26 + ".", "0" * 26 + ".-1", "../etc.0"]


@pytest.mark.parametrize("item", BAD_ITEMS)
def test_an_item_is_a_job_id_and_a_position(item: str) -> None:
    with pytest.raises(InputError, match="not a library item"):
        library_detail.parse_item(item)


async def test_detail_reads_the_request_the_cost_and_the_newest_scores(rt: Runtime) -> None:
    made = await seed_library(rt, 3)
    detail = await library_detail.asset_detail(rt, f"{made[0].job_id}.0")
    assert (detail.prompt, detail.seed, detail.model) == (prompt_of(0), 0, made[0].model)
    assert detail.cost_usd == Decimal("0.0425") and not detail.cost_is_estimate
    assert detail.kind == "image" and detail.outputs == 1 and detail.width == 96
    assert [(s.character, s.cross) for s in detail.scores] == [("Mara", 0.87)]

    async with rt.db.session() as session:  # a re-score: only the newest row counts
        old = (await session.execute(IdentityScore.__table__.select())).first()
        assert old is not None
        session.add(
            IdentityScore(
                project_id=old.project_id,
                shot_number=1,
                candidate=1,
                panel_sha256=made[0].sha256,
                character="Mara",
                scorer="test",
                cross=0.5,
            )
        )
        await session.execute(
            update(Job)
            .where(Job.id == made[1].job_id)
            .values(cost_usd=None, estimate_usd=Decimal("0.05"), request={"prompt": 7})
        )
    rescored = await library_detail.asset_detail(rt, f"{made[0].job_id}.0")
    assert [(s.character, s.cross, s.self_score) for s in rescored.scores] == [("Mara", 0.5, None)]
    estimated = await library_detail.asset_detail(rt, f"{made[1].job_id}.0")
    assert estimated.cost_usd == Decimal("0.05") and estimated.cost_is_estimate
    assert estimated.prompt == "" and estimated.seed is None and estimated.scores == []
    with pytest.raises(NotFound):
        await library_detail.asset_detail(rt, f"{made[0].job_id}.1")


async def test_the_detail_is_the_library_item_with_its_whole_prompt(rt: Runtime) -> None:
    """The lightbox opens the card it was clicked on: every field the library lists is the
    same in the detail, read by the card's own cursor, but the prompt is whole."""
    long_prompt = "a storm over the lighthouse " * 10
    await seed_library(rt, 2, videos=1, hostile=long_prompt)
    items, _ = await library.list_assets(rt)
    details = [await library_detail.asset_detail(rt, item.cursor) for item in items]
    for item, detail in zip(items, details, strict=True):
        assert isinstance(detail, library.LibraryItem) and detail.cursor == item.cursor
        as_item = library.LibraryItem(**{f.name: getattr(detail, f.name) for f in fields(item)})
        assert as_item == replace(item, prompt=detail.prompt)
        assert detail.prompt.startswith(item.prompt) and detail.kind == item.kind
    assert [d.kind for d in details] == ["video", "image", "image"]
    assert len(items[1].prompt) == library.PROMPT_PREVIEW
    assert details[1].prompt == long_prompt
