"""``services.bulk``: the one shape every face shows a dry run in, what is already made,
prompts from a text box or a list, and the checks on uploaded images."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from storyreel.bulk.inputs import read_images
from storyreel.bulk.plan import BulkOptions, plan_bulk
from storyreel.bulk.rows import create_bulk
from storyreel.catalog import Catalog
from storyreel.engine import jobs as job_rows
from storyreel.engine.runtime import Runtime
from storyreel.errors import InputError, NotFound
from storyreel.providers.types import JobState
from storyreel.services.bulk import (
    UploadLimits,
    add_uploads,
    cells,
    estimate,
    finished_keys,
    plan_out,
    prompt_list,
)
from storyreel.store.models import Job
from tests.api.conftest import png
from tests.bulk.helpers import make_images

LIMITS = UploadLimits(max_bytes=1_000_000, max_pixels=10_000_000)


def test_plan_out_marks_what_is_done_and_what_is_left_to_buy(tmp_path: Path) -> None:
    make_images(tmp_path / "in", 2)
    images = read_images(tmp_path / "in", max_bytes=10**6, max_pixels=10**7)
    options = BulkOptions(model="kling", duration=10)
    plan = plan_bulk(Catalog.load(), images, ["zoom in", "pan left"], options)
    fresh = plan_out(plan)
    assert (fresh.images, fresh.prompts, fresh.jobs) == (2, 2, 4)
    assert fresh.total_usd == fresh.to_buy_usd == Decimal("2.80")
    assert fresh.done == 0 and not any(item.done for item in fresh.items)

    first = plan.items[0].request.cache_key()
    shown = plan_out(plan, {first})
    assert shown.done == 1 and shown.to_buy_usd == Decimal("2.10")
    assert [item.done for item in shown.items] == [True, False, False, False]
    assert shown.total_usd == Decimal("2.80")  # the whole matrix still costs that


def test_prompts_from_text_or_a_list() -> None:
    assert prompt_list("a\n---\nb\n\nc") == ["a", "b", "c"]
    assert prompt_list(["one  line", "two"]) == ["one line", "two"]
    with pytest.raises(InputError, match="every prompt in the list"):
        prompt_list(["fine", "  "])


async def test_uploads_refuse_what_is_not_an_image_before_storing_anything() -> None:
    class NoStore:  # add_uploads checks every file before it touches the runtime
        pass

    with pytest.raises(InputError, match=r"notes\.txt is not an image"):
        await add_uploads(NoStore(), [("notes.txt", b"hi")], LIMITS)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"fake\.png"):
        await add_uploads(NoStore(), [("dir/fake.png", b"nope")], LIMITS)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no images were uploaded"):
        await add_uploads(NoStore(), [(".DS_Store", b"")], LIMITS)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_cells_follow_a_failover_and_a_finished_job_is_done(
    rt: Runtime, tmp_path: Path
) -> None:
    make_images(tmp_path / "in", 1)
    images = read_images(tmp_path / "in", max_bytes=10**6, max_pixels=10**7)
    plan = plan_bulk(Catalog.load(), images, ["push in", "pan left"], BulkOptions(model="motion"))
    created = await create_bulk(rt, plan)
    first, second = [job_id for job_id, _ in created.jobs]
    assert await finished_keys(rt, plan) == set()

    await job_rows.transition(rt.db, first, JobState.SUCCEEDED)
    assert await finished_keys(rt, plan) == {plan.items[0].request.cache_key()}
    shown = await estimate(rt, plan)
    assert shown.done == 1 and [i.done for i in shown.items] == [True, False]

    other = plan.items[1].request.model_copy(update={"seed": 99})
    taker, _ = await job_rows.create_job(rt.db, other, reuse=False)
    await job_rows.transition(rt.db, taker.id, JobState.RUNNING)
    await job_rows.transition(rt.db, second, JobState.FAILED, error="provider down")
    async with rt.db.session() as session:
        await session.execute(update(Job).where(Job.id == second).values(failover_to=taker.id))
    grid = await cells(rt, created.bulk_id)
    assert [(c.prompt, c.status, c.job_id) for c in grid] == [
        ("push in", "succeeded", first),
        ("pan left", "running", taker.id),
    ]
    with pytest.raises(NotFound):
        await cells(rt, "nope")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_uploads_count_an_image_once_and_tell_equal_names_apart(rt: Runtime) -> None:
    red, blue = png("red"), png("blue")
    files = [("shots/a.png", red), ("a.png", red), ("other/a.png", blue), ("b.png", blue)]
    kept = await add_uploads(rt, files, LIMITS)
    assert [name for _, name in kept] == ["a.png", "a (2).png"]
    assert kept[0][0] != kept[1][0]
    assert rt.assets.path(kept[1][0], "image/png").read_bytes() == blue
