"""The shared request vocabulary: the cache key and the size/aspect arithmetic every
provider uses to map a request's shape onto what a model offers."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from storyreel.vocabulary import (
    IMAGE_TASKS,
    VIDEO_TASKS,
    GenerationRequest,
    Reference,
    RefRole,
    Task,
    aspect_for,
    aspect_size,
    nearest_aspect,
    nearest_size,
    parse_aspect,
    parse_size,
    request_shape,
)

ASSET = "a" * 64


def req(task: Task = Task.TEXT_TO_IMAGE, **fields: Any) -> GenerationRequest:
    return GenerationRequest(task=task, model="fal:flux", **fields)


def test_output_kind_per_task() -> None:
    assert Task.TEXT_TO_IMAGE.output_kind == "image"
    assert Task.FIRST_LAST_TO_VIDEO.output_kind == "video"
    assert Task.CHAT.output_kind == "text"
    assert Task.SPEECH.output_kind == "audio"


def test_cache_key_is_canonical_and_sensitive_to_extra() -> None:
    a = req(prompt="x", extra={"b": 1, "a": 2})
    b = req(prompt="x", extra={"a": 2, "b": 1})
    assert a.cache_key() == b.cache_key()
    assert a.cache_key() != req(prompt="x", extra={"a": 3, "b": 1}).cache_key()


def test_refs_by_role_and_model_parts() -> None:
    first = Reference(role=RefRole.FIRST_FRAME, asset=ASSET)
    style = Reference(role=RefRole.STYLE, asset=ASSET)
    request = req(Task.IMAGE_TO_VIDEO, references=(style, first))
    assert request.refs(RefRole.FIRST_FRAME) == [first]
    assert (request.provider, request.model_name) == ("fal", "flux")


def test_hostile_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="even"):
        req(Task.TEXT_TO_VIDEO, width=641, height=480)
    with pytest.raises(ValidationError):
        req(aspect="16/9")
    with pytest.raises(ValidationError):
        GenerationRequest(task=Task.TEXT_TO_IMAGE, model="no-provider")
    with pytest.raises(ValidationError):
        Reference(role=RefRole.STYLE, asset="../../etc/passwd")


def test_sizes() -> None:
    sizes = ["1024x1024", "1536x1024", "1024x1536"]
    assert nearest_size(576, 1024, sizes) == "1024x1536"
    assert nearest_size(1024, 576, sizes) == "1536x1024"
    assert nearest_size(800, 790, sizes) == "1024x1024"
    assert parse_size("768X432") == (768, 432)
    for bad in ("big", "0x10", "10x", "x10", "-1x4"):
        with pytest.raises(ValueError, match="WIDTHxHEIGHT"):
            parse_size(bad)
    with pytest.raises(ValueError, match="no sizes"):
        nearest_size(1, 1, [])


@pytest.mark.parametrize("bad", [None, "", "16", "16:0", "0:9", "a:b", "-1:2", "16:9:1", 7])
def test_parse_aspect_refuses_what_is_not_a_ratio(bad: object) -> None:
    assert parse_aspect(bad) is None


def test_nearest_aspect_is_symmetric_and_skips_non_ratios() -> None:
    allowed = ("adaptive", "2:1", "1:2", "1:1")
    assert nearest_aspect(1000, 1900, allowed) == "1:2"
    assert nearest_aspect(1900, 1000, allowed) == "2:1"
    # 3:2 is as far from 1:1 as from 2:1 on a linear scale, but nearer 2:1 on a log one.
    assert nearest_aspect(3, 2, ("1:1", "2:1")) == "2:1"
    with pytest.raises(ValueError, match="no aspect"):
        nearest_aspect(1, 1, ("adaptive", "auto"))


def test_aspect_for_prefers_an_offered_aspect_then_the_shape() -> None:
    offered = ("16:9", "9:16", "1:1", "4:3")
    assert aspect_for(req(aspect="4:3", width=1000, height=1000), offered) == "4:3"
    assert aspect_for(req(width=512, height=384), offered) == "4:3"
    assert aspect_for(req(aspect="5:4"), offered) == "4:3"
    assert aspect_for(req(aspect="21:9"), offered) == "16:9"
    assert aspect_for(req(), offered) is None
    assert aspect_for(req(aspect="21:9"), None) == "21:9"
    assert request_shape(req(aspect="3:2")) == (3, 2)
    assert request_shape(req(width=640, height=480, aspect="1:1")) == (640, 480)


def test_aspect_size_fixes_the_long_side() -> None:
    assert aspect_size("16:9", 1280) == (1280, 720)
    assert aspect_size("9:16") == (576, 1024)
    assert aspect_size("garbage", 512) == (512, 512)
    assert aspect_size("100:1", 1024, minimum=64) == (1024, 64)


def test_task_groups_match_what_each_task_makes() -> None:
    assert {t for t in Task if t.output_kind == "video"} == VIDEO_TASKS
    assert {t for t in Task if t.output_kind == "image"} >= IMAGE_TASKS
    assert not IMAGE_TASKS & VIDEO_TASKS
