"""Finding diffusers models on disk: models folder, hub cache, paths; nothing escapes them."""

from __future__ import annotations

from pathlib import Path

from storyreel.localmodels import find_local_models, locate, pipeline_class
from storyreel.vocabulary import Task

from .catalog.test_local import disk, fake_model


def test_models_on_disk_are_found_by_folder_and_hub_cache(tmp_path: Path) -> None:
    local = disk(tmp_path).local_resolved
    found = {m.name: m for m in find_local_models(local)}
    assert set(found) == {"my-sd", "stabilityai/stable-video-diffusion-img2vid", "segmind/tiny-sd"}
    video = found["stabilityai/stable-video-diffusion-img2vid"]
    assert video.tasks(references=False) == [Task.IMAGE_TO_VIDEO]
    assert Task.REFERENCE_TO_IMAGE in found["my-sd"].tasks(references=True)
    assert locate("my-sd", local) == found["my-sd"]
    assert locate("someone/half-downloaded", local) is None


def test_names_cannot_walk_out_of_the_models_folder(tmp_path: Path) -> None:
    local = disk(tmp_path).local_resolved
    fake_model(tmp_path / "outside", "StableDiffusionPipeline")
    for name in ("../outside", "../../outside", "my-sd/..", "a/../outside", "."):
        assert locate(name, local) is None, name
    assert locate(str(tmp_path / "outside"), local) is not None  # an absolute path is explicit


def test_a_broken_index_is_not_a_model(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    for text in ("{", "[]", '{"_class_name": "rm -rf /"}', '{"_class_name": 3}'):
        (folder / "model_index.json").write_text(text)
        assert pipeline_class(folder) is None
