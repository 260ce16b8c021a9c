"""A state-changing UI request needs the page's token: another site can make the browser
send the cookie but cannot read the token."""

from __future__ import annotations

from pathlib import Path

from .ui_client import csrf_from, ui_client


async def test_a_form_without_the_token_is_refused_and_with_it_accepted(tmp_path: Path) -> None:
    async with ui_client(tmp_path, key_hashes=["0" * 64]) as ui:
        page = await ui.get("/ui/login")
        token = csrf_from(page.text)
        assert ui.cookies.get("sr_csrf") == token

        forged = await ui.post(
            "/ui/login", data={"key": "sr-x", "next": "/ui"}, headers={"accept": "text/html"}
        )
        assert forged.status_code == 403
        assert "expired or came from another site" in forged.text

        wrong = await ui.post("/ui/login", data={"key": "sr-x", "csrf_token": "nope"})
        assert wrong.status_code == 403

        honest = await ui.post("/ui/login", data={"key": "sr-x", "csrf_token": token})
        assert honest.status_code == 401  # past CSRF: the key is simply unknown


async def test_the_header_htmx_sends_is_accepted(tmp_path: Path) -> None:
    async with ui_client(tmp_path, key_hashes=["0" * 64]) as ui:
        token = csrf_from((await ui.get("/ui/login")).text)
        sent = await ui.post("/ui/logout", headers={"x-csrf-token": token})
        assert sent.status_code == 303
        refused = await ui.post("/ui/logout", headers={"x-csrf-token": token + "x"})
        assert refused.status_code == 403
