"""The API's wire shapes: a generation body refuses unknown fields and out-of-range or
non-finite values before anything is bought, ``fields()`` passes on only the request's
own fields, and a job's outputs are linked by their SHA-256 under the assets route."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import pytest
from pydantic import ValidationError

from storyreel.api.schemas import ASSETS, GenerateIn, JobOut


def test_fields_are_the_requests_own() -> None:
    body = GenerateIn(model="sketch", prompt="a cat", width=640, height=360, audio=False)
    assert body.fields() == {
        "width": 640,
        "height": 360,
        "aspect": None,
        "count": None,
        "seed": None,
        "resolution": None,
        "duration": None,
        "fps": None,
        "audio": False,
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"prompt": ""},
        {"width": 32},
        {"count": 17},
        {"duration": 0.1},
        {"budget_usd": "NaN"},
        {"budget_usd": "Infinity"},
        {"budget_usd": -1},
        {"kind": "audio"},
        {"reference_urls": ["https://x/a.png"] * 9},
        {"webhook": "https://x"},
    ],
)
def test_bad_bodies_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        GenerateIn.model_validate({"model": "sketch", "prompt": "a cat"} | bad)


def test_a_jobs_outputs_link_to_the_assets_route() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    job = SimpleNamespace(
        id="j1",
        status="succeeded",
        task="text-to-image",
        provider="sketch",
        model="sketch:previz",
        project_id=None,
        estimate_usd=Decimal("0"),
        cost_usd=Decimal("0"),
        created_at=now,
        finished_at=now,
        error=None,
        error_reason=None,
        note=None,
        progress=1.0,
        failover_from=None,
        failover_to=None,
        request={"prompt": "a cat"},
        outputs=[SimpleNamespace(position=0, mime="image/png", asset_sha256="ab" * 32)],
    )
    out = JobOut.of(cast(Any, job))
    (output,) = out.outputs
    assert output.url == f"{ASSETS}/{'ab' * 32}"
    assert output.thumbnail_url == f"{ASSETS}/{'ab' * 32}/thumbnail"
    assert (out.id, out.status, out.request) == ("j1", "succeeded", {"prompt": "a cat"})


def test_quality_goes_to_the_requests_extra() -> None:
    body = GenerateIn(model="gpt-image-1.5", prompt="a cat", quality="medium")
    assert body.fields()["extra"] == {"quality": "medium"}
    with pytest.raises(ValidationError):
        GenerateIn(model="gpt-image-1.5", prompt="a cat", quality="ultra")  # type: ignore[arg-type]
