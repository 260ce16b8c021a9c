"""Seed 001 on the local model: ``/health`` and ``/`` report the real device, and
``/generate`` / ``/generate-video`` render with the local model, when this process hosts
local jobs (``STORYREEL_LOCAL__WORKER=true storyreel serve``, jobs run here).

Hosting is opt-in, not "the extra is installed": ``make install`` installs the extra on
every developer machine, and a server on a CPU-only box should not switch to minutes-long
CPU diffusion by itself. Like the seed's server, a hosting process starts loading the model
at start-up, on the render thread, so ``/health`` turns ``model_loaded`` once it is warm.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from storyreel.config import Settings
from storyreel.providers.diffusion import loader, render
from storyreel.providers.diffusion.device import device_report, extra_installed
from storyreel.vocabulary import Task

from .state import DeviceReport


def local_device_report(settings: Settings) -> DeviceReport | None:
    """The ``/health`` report of the local model, or None when this process does not
    generate locally (seed 001's endpoints then use ``api.image_model``)."""
    if not (settings.api.run_jobs and settings.local.worker is True):
        return None
    local = settings.local_resolved
    warming: Future[Any] | None = None
    if extra_installed():
        warming = render.submit_blocking(
            loader.pipeline_for, local.model, local, Task.TEXT_TO_IMAGE
        )

    def report() -> dict[str, Any]:
        facts = device_report(local)
        if warming is not None and warming.done() and warming.exception() is not None:
            facts["error"] = f"loading local:{local.model} failed: {warming.exception()}"
        return {**facts, "local_model": True, "catalog_model": f"local:{local.model}"}

    return report
