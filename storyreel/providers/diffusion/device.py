"""Which accelerator local generation runs on, in which precision, and a report of it.

Seed 001's order: CUDA, then Apple MPS, then the CPU; half precision where the device
does it well (float16 on CUDA and MPS), float32 on the CPU where float16 is slow or
unsupported. ``device_report`` is what ``GET /health`` and ``GET /`` show.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from storyreel.config import LocalSettings
from storyreel.errors import ConfigError

INSTALL_HINT = "local generation needs the local extra: pip install 'storyreel[local]'"


def extra_installed() -> bool:
    """Whether torch and diffusers can be imported here (without importing them)."""
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "diffusers"))


def require_torch() -> Any:
    """The torch module, or a ConfigError that says how to install it."""
    if not extra_installed():
        raise ConfigError(INSTALL_HINT)
    import torch

    return torch


@dataclass(frozen=True)
class Placement:
    """Where and how a pipeline runs."""

    device: str
    dtype_name: str

    @property
    def dtype(self) -> Any:
        """The ``torch.dtype`` (Any: torch may not be installed where this is type-checked)."""
        return getattr(require_torch(), self.dtype_name)


def _mps_available(torch: Any) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def pick_device(local: LocalSettings) -> str:
    """The device the settings ask for, or the best one present: cuda, mps, cpu.
    Asking for a device that is not there is a ConfigError, not a silent fallback."""
    torch = require_torch()
    present = {"cuda": torch.cuda.is_available(), "mps": _mps_available(torch), "cpu": True}
    if local.device != "auto":
        if not present[local.device]:
            raise ConfigError(
                f"STORYREEL_LOCAL__DEVICE={local.device}, but this machine has no "
                f"{local.device} device torch can use"
            )
        return local.device
    return next(name for name in ("cuda", "mps", "cpu") if present[name])


def pick_dtype(local: LocalSettings, device: str) -> str:
    """float16 on CUDA and MPS, float32 on the CPU, unless the settings say otherwise."""
    if local.dtype != "auto":
        return local.dtype
    return "float32" if device == "cpu" else "float16"


def placement(local: LocalSettings) -> Placement:
    device = pick_device(local)
    return Placement(device=device, dtype_name=pick_dtype(local, device))


def device_report(local: LocalSettings) -> dict[str, Any]:
    """What seed 001's ``/health`` and ``/`` report: the device, the precision, whether
    the extra is installed, and which model this process holds warm (if any)."""
    from .loader import warm_model

    report: dict[str, Any] = {
        "installed": extra_installed(),
        "device": None,
        "dtype": None,
        "device_name": None,
        "model": local.model,
        "model_loaded": False,
        "loaded_model": None,
    }
    if not report["installed"]:
        report["error"] = INSTALL_HINT
        return report
    try:
        where = placement(local)
    except ConfigError as exc:
        report["error"] = str(exc)
        return report
    torch = require_torch()
    report["device"] = where.device
    report["dtype"] = where.dtype_name
    if where.device == "cuda":
        report["device_name"] = torch.cuda.get_device_name(0)
    loaded = warm_model()
    report["loaded_model"] = loaded
    report["model_loaded"] = loaded is not None
    return report
