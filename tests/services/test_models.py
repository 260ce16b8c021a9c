"""The catalog as the prices page lists it: filters by kind, provider, task, text and a
price ceiling, each row's default-job price from ``Catalog.estimate``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storyreel.catalog import Catalog
from storyreel.services.models import ModelFilters, facets, limits, model_rows


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_no_filter_lists_every_model(catalog: Catalog) -> None:
    assert [row.entry.id for row in model_rows(catalog)] == [m.id for m in catalog.models()]


def test_each_filter_narrows_the_list(catalog: Catalog) -> None:
    videos = model_rows(catalog, ModelFilters(kind="video"))
    assert videos and all(row.kind == "video" for row in videos)
    assert len(videos) < len(model_rows(catalog))
    fal_i2v = model_rows(catalog, ModelFilters(provider="fal", task="image-to-video"))
    assert fal_i2v and all(
        r.entry.provider == "fal" and "image-to-video" in r.entry.tasks for r in fal_i2v
    )
    kling = model_rows(catalog, ModelFilters(text="KLING"))
    assert kling and all("kling" in (r.entry.id + r.entry.title).lower() for r in kling)
    cheap = model_rows(catalog, ModelFilters(max_usd=Decimal("0.03")))
    assert cheap and all(r.job_usd is not None and r.job_usd <= Decimal("0.03") for r in cheap)


def test_rows_carry_price_unit_and_options(catalog: Catalog) -> None:
    [kling] = [r for r in model_rows(catalog) if r.entry.id == catalog.resolve("kling").id]
    assert kling.job_usd == Decimal("0.35")
    assert kling.unit == "per clip, plus per extra second"
    flux = next(r for r in model_rows(catalog) if r.entry.id == "modelslab:flux")
    assert flux.subscription and flux.job_usd == Decimal(0) and flux.unit == "monthly plan"
    assert "up to 7 per job" in flux.options
    veo = catalog.resolve("modelslab:veo-3.1-fast")
    assert limits(veo) == "4, 6, 8 s; audio"


def test_facets_name_what_the_catalog_holds(catalog: Catalog) -> None:
    found = facets(catalog)
    assert found["kinds"][:2] == ["image", "video"]
    assert "modelslab" in found["providers"] and "image-to-video" in found["tasks"]
