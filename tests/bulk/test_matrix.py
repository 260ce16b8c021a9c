"""Pairing images with prompts: every combination, or one to one."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.bulk.inputs import BulkImage
from storyreel.bulk.matrix import MAX_ITEMS, build_matrix
from storyreel.errors import InputError


def images(n: int) -> list[BulkImage]:
    return [BulkImage(f"i{k}.png", Path(f"i{k}.png"), f"{k:064x}", "image/png") for k in range(n)]


def test_all_combinations_are_image_major() -> None:
    items = build_matrix(images(3), ["a", "b", "c", "d"])
    assert len(items) == 12  # the seed: 3 images x 4 prompts = 12 videos
    assert [(i.image.name, i.prompt_number, i.prompt) for i in items[:5]] == [
        ("i0.png", 1, "a"),
        ("i0.png", 2, "b"),
        ("i0.png", 3, "c"),
        ("i0.png", 4, "d"),
        ("i1.png", 1, "a"),
    ]
    assert [i.position for i in items] == list(range(12))


def test_one_to_one_pairs_in_order() -> None:
    items = build_matrix(images(3), ["a", "b", "c"], one_to_one=True)
    assert [(i.image.name, i.prompt) for i in items] == [
        ("i0.png", "a"),
        ("i1.png", "b"),
        ("i2.png", "c"),
    ]


def test_one_to_one_with_mismatched_counts_is_refused() -> None:
    with pytest.raises(InputError, match="3 images and 4 prompts"):
        build_matrix(images(3), ["a", "b", "c", "d"], one_to_one=True)
    with pytest.raises(InputError, match="1 image and 2 prompts"):
        build_matrix(images(1), ["a", "b"], one_to_one=True)


def test_a_matrix_past_the_limit_is_refused() -> None:
    with pytest.raises(InputError, match=f"the limit for one bulk is {MAX_ITEMS:,}"):
        build_matrix(images(101), [str(n) for n in range(100)])
