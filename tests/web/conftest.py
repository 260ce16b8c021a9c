"""Browser fixtures: Debian's chromium driven by Playwright (never a downloaded browser),
and a live server with the simulators per test module.

One chromium serves a run of consecutive browser tests, each in a fresh context (its own
cookies, storage and page): launching it per test cost a second or two each. Playwright's
sync API keeps an event loop marked as running in the test thread while it is open, which
would break the async tests that follow it, so the browser is closed after any test whose
next test is not a browser test, and the browser tests are collected last (one launch)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .live import LiveServer

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    return os.environ.get("STORYREEL_CHROMIUM") or shutil.which("chromium")


class SharedChromium:
    """The chromium of the current run of browser tests: launched on first use, closed by
    ``close()`` (and launched again by the next ``get()``)."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Any = None

    def get(self, executable: str) -> Any:
        if self._browser is not None and not self._browser.is_connected():
            self.close()  # crashed: start afresh rather than fail every later test
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS
            )
        return self._browser

    def close(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        try:
            if browser is not None and browser.is_connected():
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()


CHROMIUM = SharedChromium()


def _uses_browser(item: pytest.Item | None) -> bool:
    return item is not None and "browser" in getattr(item, "fixturenames", ())


@pytest.fixture
def browser() -> object:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("STORYREEL_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return CHROMIUM.get(executable)


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh context per test: nothing (cookies, storage, cache) leaks between tests."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for a module's tests (starting the engine takes seconds)."""
    with LiveServer(Path(tmp_path_factory.mktemp("live"))) as server:
        yield server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives the browser is a ``browser`` test and a ``slow`` one; they run
    after the others (in their order), so that one chromium serves them all."""
    for item in items:
        if _uses_browser(item):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
    items[:] = [i for i in items if not _uses_browser(i)] + [i for i in items if _uses_browser(i)]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Close the shared chromium (after the test's own fixtures) unless a browser test is
    next: whatever runs next gets a thread without Playwright's loop."""
    try:
        return (yield)
    finally:
        if not _uses_browser(nextitem):
            CHROMIUM.close()


def pytest_sessionfinish() -> None:
    CHROMIUM.close()
