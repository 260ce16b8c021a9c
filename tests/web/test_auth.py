"""Beyond localhost the UI asks for an API key once and keeps it in an HttpOnly cookie; the
cookie also opens media reads (``<img>`` cannot send a bearer header), never writes."""

from __future__ import annotations

from pathlib import Path

from storyreel.api.security import hash_key

from .ui_client import csrf_from, ui_client

KEY = "sr-test-key-0123456789"


async def test_signing_in_with_a_known_key_opens_the_ui(tmp_path: Path) -> None:
    async with ui_client(tmp_path, key_hashes=[hash_key(KEY)]) as ui:
        first = await ui.get("/ui/")
        assert first.status_code == 303
        assert first.headers["location"].startswith("/ui/login?next=")

        token = csrf_from((await ui.get("/ui/login")).text)
        bad = await ui.post("/ui/login", data={"key": "sr-wrong", "csrf_token": token})
        assert bad.status_code == 401
        assert "not known" in bad.text
        assert "sr_key" not in ui.cookies

        good = await ui.post(
            "/ui/login", data={"key": KEY, "csrf_token": token, "next": "https://evil.example/"}
        )
        assert good.status_code == 303
        assert good.headers["location"] == "/ui"  # never an open redirect
        assert "httponly" in good.headers["set-cookie"].lower()
        assert ui.cookies.get("sr_key") == KEY


async def test_the_cookie_opens_api_reads_but_not_writes(tmp_path: Path) -> None:
    async with ui_client(tmp_path, key_hashes=[hash_key(KEY)]) as ui:
        assert (await ui.get("/api/v1/models")).status_code == 401
        ui.cookies.set("sr_key", KEY)
        assert (await ui.get("/api/v1/models")).status_code == 200
        write = await ui.post("/api/v1/estimate", json={"model": "sketch:previz", "prompt": "x"})
        assert write.status_code == 401


async def test_without_keys_the_ui_is_open(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        page = await ui.get("/ui/login")
        assert page.status_code == 200
