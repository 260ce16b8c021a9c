from __future__ import annotations

import pytest
from pydantic import ValidationError

from storyreel.providers.types import JobState, RemoteArtifact
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

SHA = "ab" * 32


def test_cache_key_is_canonical_and_sensitive() -> None:
    a = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="fal:x", prompt="p", extra={"b": 1, "a": 2}
    )
    b = GenerationRequest(task="text-to-image", model="fal:x", prompt="p", extra={"a": 2, "b": 1})
    assert a.cache_key() == b.cache_key()
    assert a.cache_key() != a.model_copy(update={"seed": 1}).cache_key()
    assert (a.provider, a.model_name) == ("fal", "x")


@pytest.mark.parametrize(
    "fields",
    [
        {"model": "no-provider"},
        {"width": 10},
        {"count": 0},
        {"seed": -1},
        {"seed": 2**40},
        {"steps": 10**9},
        {"guidance": float("nan")},
        {"surprise": 1},
        {"task": "image-to-video", "width": 641, "height": 360},
    ],
)
def test_impossible_requests_are_refused(fields: dict[str, object]) -> None:
    base: dict[str, object] = {"task": "text-to-image", "model": "sketch:previz"}
    with pytest.raises(ValidationError):
        GenerationRequest.model_validate(base | fields)


def test_references_by_role_and_task_kinds() -> None:
    req = GenerationRequest(
        task=Task.IMAGE_TO_VIDEO,
        model="motion:k",
        references=(
            Reference(role=RefRole.FIRST_FRAME, asset=SHA),
            Reference(role="character", asset=SHA),
        ),
    )
    assert len(req.refs(RefRole.FIRST_FRAME)) == 1
    assert Task.IMAGE_TO_VIDEO.output_kind == "video" and Task.INPAINT.output_kind == "image"
    assert JobState.CANCELED.terminal and not JobState.RUNNING.terminal


def test_artifact_has_exactly_one_source() -> None:
    with pytest.raises(ValidationError):
        RemoteArtifact(mime="image/png")
    with pytest.raises(ValidationError):
        RemoteArtifact(mime="image/png", url="https://x/y.png", path="/tmp/y.png")
