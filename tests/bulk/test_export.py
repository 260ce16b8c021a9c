"""Seed 004's download names and index: a prompt becomes a safe file-name part (no path
tricks, at most 50 characters), the model is named by its catalog alias, a job's second
output gets ``_2``, and index.csv has the fixed columns with CSV quoting."""

from __future__ import annotations

import csv
import io

import pytest

from storyreel.bulk.export import INDEX_COLUMNS, model_label, output_name, render_index, slug
from storyreel.catalog import Catalog


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A cat walks on the beach!", "a_cat_walks_on_the_beach"),
        ("../../etc/passwd", "etc_passwd"),
        ("Café — über", "caf_ber"),
        ("!!!", "untitled"),
        ("", "untitled"),
    ],
)
def test_slug_is_a_safe_file_name_part(text: str, expected: str) -> None:
    assert slug(text) == expected


def test_slug_is_cut_to_50_without_a_trailing_join() -> None:
    cut = slug("word " * 40)
    assert len(cut) <= 50 and not cut.endswith("_")
    assert slug("abcd efgh", limit=5) == "abcd"


def test_the_model_label_is_its_alias_or_its_ids_tail() -> None:
    catalog = Catalog.builtin()
    assert model_label(catalog, "fal:fal-ai/kling-video/v2.1/master/image-to-video") == (
        "kling_master"
    )
    assert model_label(catalog, "someone:org/Model.V2") == "org_model_v2"


def test_seed_004s_output_names() -> None:
    assert (
        output_name("j42", "kling", "A cat walks.", "video/mp4") == "job_j42_kling_a_cat_walks.mp4"
    )
    assert output_name("j42", "kling", "A cat walks.", "video/mp4", position=1) == (
        "job_j42_kling_a_cat_walks_2.mp4"
    )
    assert "/" not in output_name("j1", "m", "a/../b", "image/png")


def test_the_index_has_fixed_columns_and_quotes() -> None:
    row = dict.fromkeys(INDEX_COLUMNS, "") | {"file": "job_1.mp4", "prompt": 'say "hi", then go'}
    text = render_index([row])
    lines = text.splitlines()
    assert lines[0] == ",".join(INDEX_COLUMNS)
    assert next(csv.DictReader(io.StringIO(text)))["prompt"] == 'say "hi", then go'
    assert render_index([]) == ",".join(INDEX_COLUMNS) + "\n"
