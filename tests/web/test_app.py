"""The UI is mounted on the API's app: pages, static files, errors as pages for browsers."""

from __future__ import annotations

from pathlib import Path

from .ui_client import ui_client


async def test_static_files_and_the_front_door(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        css = await ui.get("/ui/static/app.css")
        assert css.status_code == 200 and "--sr-loaded" in css.text
        htmx = await ui.get("/ui/static/vendor/htmx-2.0.11.min.js")
        assert htmx.status_code == 200 and "htmx" in htmx.text
        door = await ui.get("/ui")
        assert door.status_code == 303


async def test_a_browser_gets_errors_as_a_page_and_htmx_as_json(tmp_path: Path) -> None:
    async with ui_client(tmp_path, key_hashes=["0" * 64]) as ui:
        page = await ui.post("/ui/logout")
        assert page.status_code == 403
        assert page.headers["content-type"].startswith("text/html")
        assert '<p class="error" role="alert">' in page.text

        swap = await ui.post("/ui/logout", headers={"hx-request": "true"})
        assert swap.status_code == 403
        assert swap.json()["detail"].startswith("the form has expired")


async def test_seed_001s_root_is_untouched(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        root = await ui.get("/", headers={"accept": "application/json"})
        assert root.headers["content-type"].startswith("application/json")


def test_the_ui_package_imports_on_its_own() -> None:
    """``storyreel.web`` uses the API's key check and state; importing it first (a fresh
    interpreter, as a plugin or a script would) must not trip over the API importing it."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import storyreel.web; import storyreel.api"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
