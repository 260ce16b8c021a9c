"""Local diffusers models on disk become free catalog entries (``local:<name>``), listed by
``storyreel models`` and priced $0 by the billing code; nothing here needs torch."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyreel.catalog import Catalog, billing
from storyreel.cli.app import app
from storyreel.config import LocalSettings, Settings
from storyreel.vocabulary import GenerationRequest, Task


def fake_model(folder: Path, pipeline: str) -> Path:
    folder.mkdir(parents=True)
    (folder / INDEX).write_text(json.dumps({"_class_name": pipeline}), encoding="utf-8")
    return folder


INDEX = "model_index.json"


def disk(tmp_path: Path) -> Settings:
    """A data dir whose models folder holds two models, and a hub cache with two more
    (one a video pipeline, one a download that never finished)."""
    data = tmp_path / "data"
    fake_model(data / "models" / "my-sd", "StableDiffusionPipeline")
    fake_model(data / "models" / "not-a-model" / "deeper", "StableDiffusionPipeline")
    hub = tmp_path / "hub"
    repo = hub / "models--stabilityai--stable-video-diffusion-img2vid"
    fake_model(repo / "snapshots" / "rev1", "StableVideoDiffusionPipeline")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("rev1")
    (hub / "models--someone--half-downloaded" / "snapshots" / "rev").mkdir(parents=True)
    fake_model(hub / "models--segmind--tiny-sd" / "snapshots" / "r", "StableDiffusionPipeline")
    return Settings(data_dir=data, local=LocalSettings(hub_cache=hub))


def test_the_catalog_lists_them_free_beside_its_own(tmp_path: Path) -> None:
    settings = disk(tmp_path)
    catalog = Catalog.load(settings)
    ids = {m.id for m in catalog.models()}
    assert {"local:my-sd", "local:stabilityai/stable-video-diffusion-img2vid"} <= ids
    assert "sketch:previz" in ids and "local:segmind/tiny-sd" in ids
    assert catalog.resolve("local:my-sd").tasks[:3] == [
        Task.TEXT_TO_IMAGE,
        Task.IMAGE_TO_IMAGE,
        Task.INPAINT,
    ]
    req = GenerationRequest(task=Task.TEXT_TO_IMAGE, model="local:my-sd", prompt="a cat")
    assert billing.estimate(catalog, req) == Decimal(0)
    # A model added later shows up at the next load.
    models_dir = settings.local_resolved.models_dir
    assert models_dir is not None
    fake_model(models_dir / "new-one", "StableDiffusionXLPipeline")
    assert "local:new-one" in Catalog.load(settings)


def test_storyreel_models_shows_local_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = disk(tmp_path)
    monkeypatch.setenv("STORYREEL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("STORYREEL_LOCAL__HUB_CACHE", str(settings.local.hub_cache))
    result = CliRunner().invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    models = {m["id"]: m for m in json.loads(result.stdout)["models"]}
    assert models["local:my-sd"]["price"] == models["sketch:previz"]["price"]
    assert models["local:stabilityai/stable-video-diffusion-img2vid"]["tasks"] == ["image-to-video"]
