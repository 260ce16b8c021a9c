"""The sign-in page in a real browser: keyboard only, then the page it was asked for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from storyreel.api.security import hash_key
from storyreel.config import ApiSettings

from ..browser import check_accessible, snap
from ..live import LiveServer

KEY = "sr-browser-key-0123456789"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    api = ApiSettings(wait_seconds=60.0, key_hashes=[hash_key(KEY)])
    with LiveServer(Path(tmp_path_factory.mktemp("keyed")), api=api) as server:
        yield server


def test_sign_in_with_the_keyboard(page: Page, keyed: LiveServer) -> None:
    page.goto(keyed.url("/ui/"))
    assert "/ui/login" in page.url
    snap(page, "login")
    check_accessible(page)

    page.keyboard.press("Tab")  # the skip link first
    page.get_by_label("API key").fill("sr-wrong")
    page.keyboard.press("Enter")
    assert page.get_by_role("alert").inner_text() == "That key is not known to this server."

    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sr_key"]["httpOnly"] is True
