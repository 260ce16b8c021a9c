"""Loading: safetensors only unless opted in, the warm slot, device and precision."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.config import LocalSettings
from storyreel.errors import InputError
from storyreel.providers.diffusion import loader
from storyreel.providers.diffusion.device import Placement
from storyreel.vocabulary import Task


def test_a_pickle_checkpoint_is_refused_before_anything_is_unpickled(
    models_dir: Path, local: LocalSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    def no_unpickling(*args: object, **kwargs: object) -> None:
        raise AssertionError("torch.load was called on a pickle file")

    monkeypatch.setattr(torch, "load", no_unpickling)
    assert loader.pickle_files(models_dir / "tiny-pickle")
    assert loader.pickle_files(models_dir / "tiny") == []
    with pytest.raises(InputError, match=r"pickle weights .*ALLOW_PICKLE"):
        loader.resolve_source("tiny-pickle", local)
    with pytest.raises(InputError, match="pickle"):
        loader.pipeline_for("tiny-pickle", local, Task.TEXT_TO_IMAGE)


def test_a_pickle_checkpoint_loads_when_the_user_opts_in(local: LocalSettings) -> None:
    trusting = local.model_copy(update={"allow_pickle": True})
    try:
        loaded = loader.pipeline_for("tiny-pickle", trusting, Task.TEXT_TO_IMAGE)
        assert loaded.name == "tiny-pickle"
        image = loaded.pipe("a cat", num_inference_steps=1, width=64, height=64).images[0]
        assert image.size == (64, 64)
    finally:
        loader.unload()
    assert loader.warm_model() is None


def test_models_are_found_by_path_folder_and_hub_cache_only(
    models_dir: Path, local: LocalSettings, tmp_path: Path
) -> None:
    assert loader.resolve_source("tiny", local) == str(models_dir / "tiny")
    assert loader.resolve_source(str(models_dir / "tiny"), local) == str(models_dir / "tiny")
    for bad in ("../tiny", "tiny/../../etc", str(tmp_path)):
        with pytest.raises(InputError):
            loader.resolve_source(bad, local)
    with pytest.raises(InputError, match="ALLOW_DOWNLOAD"):
        loader.resolve_source("segmind/tiny-sd", local)
    online = local.model_copy(update={"allow_download": True})
    assert loader.resolve_source("segmind/tiny-sd", online) == "segmind/tiny-sd"


def _processors(pipe: object) -> set[str]:
    return {type(p).__name__ for p in pipe.unet.attn_processors.values()}  # type: ignore[attr-defined]


def test_attention_slicing_reaches_the_pipeline(local: LocalSettings) -> None:
    try:
        plain = loader.pipeline_for("tiny", local, Task.TEXT_TO_IMAGE).pipe
        assert "SlicedAttnProcessor" not in _processors(plain)
        sliced = local.model_copy(update={"attention_slicing": True})
        pipe = loader.pipeline_for("tiny", sliced, Task.TEXT_TO_IMAGE).pipe
        assert pipe is not plain  # other settings: the model is loaded again with them
        assert _processors(pipe) == {"SlicedAttnProcessor"}
        image = pipe("a cat", num_inference_steps=1, width=64, height=64).images[0]
        assert image.size == (64, 64)
    finally:
        loader.unload()


@pytest.mark.parametrize("mode", ["model", "sequential"])
def test_cpu_offload_reaches_the_pipeline_on_cuda_only(
    local: LocalSettings, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """The CPU has no accelerator to offload to (diffusers refuses), so this machine plays
    a CUDA one: the placement says cuda, and the offload hooks record their pipeline."""
    import diffusers

    calls: list[tuple[str, object]] = []
    for name in ("enable_model_cpu_offload", "enable_sequential_cpu_offload"):
        monkeypatch.setattr(
            diffusers.DiffusionPipeline,
            name,
            lambda self, *a, _name=name, **k: calls.append((_name, self)),
        )
    offload = local.model_copy(update={"cpu_offload": mode})
    try:
        on_cpu = loader.pipeline_for("tiny", offload, Task.TEXT_TO_IMAGE).pipe
        assert calls == []  # CPU: nothing to offload to, the setting is ignored
        loader.unload()
        monkeypatch.setattr(loader, "placement", lambda _: Placement("cuda", "float32"))
        pipe = loader.pipeline_for("tiny", offload, Task.TEXT_TO_IMAGE).pipe
    finally:
        loader.unload()
    assert on_cpu is not pipe
    assert calls == [(f"enable_{mode}_cpu_offload", pipe)]
