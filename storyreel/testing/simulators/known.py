"""Imports every provider simulator module in this package, so each registers itself."""

from __future__ import annotations

import importlib
import pkgutil

_FRAMEWORK = {"base", "suite", "known"}

_package = importlib.import_module(__package__ or "storyreel.testing.simulators")
for _module in pkgutil.iter_modules(_package.__path__):
    if _module.name not in _FRAMEWORK:
        importlib.import_module(f"{_package.__name__}.{_module.name}")
