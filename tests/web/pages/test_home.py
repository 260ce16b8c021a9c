from __future__ import annotations

from pathlib import Path

from storyreel.web.pages import nav_entries

from ..ui_client import ui_client


async def test_the_front_door_opens_the_first_page(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        door = await ui.get("/ui/")
        entries = nav_entries()
        assert door.headers["location"] == (entries[0].path if entries else "/ui/login")
