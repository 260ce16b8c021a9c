"""One module per page, each with a ``router`` and a ``PAGE`` nav entry.

``PAGES`` is the navigation order; a page that is not listed here is not served.
"""

from __future__ import annotations

from types import ModuleType

from ..nav import NavEntry
from . import bulk, home, jobs, library, models, playground, storyboard, studio, studio_story

PAGES: list[ModuleType] = [
    library,
    jobs,
    playground,
    studio,
    studio_story,
    home,
    storyboard,
    bulk,
    models,
]


def nav_entries() -> list[NavEntry]:
    return [page.PAGE for page in PAGES if getattr(page, "PAGE", None) is not None]
