"""Ids sort by time and content hashes ignore key order: the two promises pagination and
the generation cache rely on."""

from __future__ import annotations

import time

from storyreel.ids import canonical_json, content_hash, new_id


def test_new_ids_sort_by_creation_time() -> None:
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    assert len(first) == 26 and first < second


def test_equal_data_equal_hash_whatever_the_key_order() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": "1"})
