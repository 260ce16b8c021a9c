"""``services.bulk``: the one shape every face shows a dry run in, what is already made,
prompts from a text box or a list, and the checks on uploaded images."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.bulk.inputs import read_images
from storyreel.bulk.plan import BulkOptions, plan_bulk
from storyreel.catalog import Catalog
from storyreel.errors import InputError
from storyreel.services.bulk import UploadLimits, add_uploads, plan_out, prompt_list
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
