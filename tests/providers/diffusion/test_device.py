"""Device and precision: CUDA, then MPS, then the CPU; the report /health shows."""

from __future__ import annotations

import pytest

from storyreel.config import LocalSettings
from storyreel.errors import ConfigError
from storyreel.providers.diffusion import device, loader
from storyreel.vocabulary import Task


def test_device_order_is_cuda_then_mps_then_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    auto = LocalSettings()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.placement(auto) == device.Placement("cuda", "float16")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert device.placement(auto) == device.Placement("mps", "float16")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert device.placement(auto) == device.Placement("cpu", "float32")
    assert device.placement(LocalSettings(dtype="bfloat16")).dtype is torch.bfloat16
    with pytest.raises(ConfigError, match="no cuda device"):
        device.placement(LocalSettings(device="cuda"))


def test_the_device_report_says_what_is_loaded(local: LocalSettings) -> None:
    loader.unload()
    report = device.device_report(local)
    assert report["installed"] is True
    assert (report["device"], report["dtype"]) == ("cpu", "float32")
    assert report["model_loaded"] is False
    loader.pipeline_for("tiny", local, Task.TEXT_TO_IMAGE)
    report = device.device_report(local)
    assert (report["model_loaded"], report["loaded_model"]) == (True, "tiny")
    bad = device.device_report(LocalSettings(device="cuda"))
    assert bad["device"] is None and "cuda" in bad["error"]
