from __future__ import annotations

from storyreel.web.nav import NavEntry
from storyreel.web.pages import PAGES, nav_entries


def test_every_listed_page_has_a_router_and_nav_paths_live_under_ui() -> None:
    for page in PAGES:
        assert page.router.routes, page.__name__
    for entry in nav_entries():
        assert isinstance(entry, NavEntry)
        assert entry.path.startswith("/ui/")
