"""The navigation bar's entries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavEntry:
    """A page in the top navigation: its title and its path under ``/ui``."""

    title: str
    path: str
