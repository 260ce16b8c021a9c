"""The pay-per-use pair ``cost compare`` prices a plan against exists in the catalog, as the
image and video models seed 000 names."""

from __future__ import annotations

from pathlib import Path

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.services.pay_per_use import DEFAULT_IMAGE_MODEL, DEFAULT_VIDEO_MODEL
from storyreel.vocabulary import Task


def test_the_default_pair_is_an_image_model_and_a_video_model_of_the_catalog(
    tmp_path: Path,
) -> None:
    models = {m.id: m for m in Catalog.load(Settings(data_dir=tmp_path)).models()}
    image, video = models[DEFAULT_IMAGE_MODEL], models[DEFAULT_VIDEO_MODEL]
    assert any(Task(task).output_kind == "image" for task in image.tasks), image.tasks
    assert Task.IMAGE_TO_VIDEO in {Task(task) for task in video.tasks}, video.tasks
