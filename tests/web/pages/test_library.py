"""The library page: routes in-process (filters, cursor batches, the lightbox fragment,
the zip and its refusals, escaping), then the browser (scroll past the first batch, the
lightbox by keyboard, screenshots and axe)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import pytest_asyncio
from playwright.sync_api import Page, expect

from storyreel.api.state import ApiState
from tests.api.conftest import api_settings, running_api

from ..browser import check_accessible, snap
from ..library_seed import Seeded, prompt_of, seed_library
from ..live import LiveServer
from ..ui_client import csrf_from

HOSTILE = '<img src=x onerror=alert(1)> & "quoted"'


@pytest_asyncio.fixture(scope="class", loop_scope="class")
async def lib(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[httpx.AsyncClient, ApiState, list[Seeded]]]:
    """One seeded server for the route tests (``TestRoutes``): they only read it (a zip is
    made from it, not stored), and seeding it per test cost seconds each. Class-scoped, so
    that it is gone (one engine per process) before the browser tests start theirs."""
    tmp_path = Path(tmp_path_factory.mktemp("lib"))
    async with running_api(api_settings(tmp_path)) as (client, state):
        client.headers["accept"] = "text/html"
        made = await seed_library(state.rt, 130, videos=3, hostile=HOSTILE)
        yield client, state, made


def _items(html: str) -> list[str]:
    return re.findall(r'<li class="lib-card" data-item="([^"]+)"', html)


def _next_url(html: str) -> str | None:
    found = re.search(r'class="lib-more" hx-get="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.mark.asyncio(loop_scope="class")
class TestRoutes:
    """The routes in process, on one seeded server (``lib``)."""

    async def test_batches_follow_the_cursor_newest_first(self, lib: tuple) -> None:
        client, _state, made = lib
        page = await client.get("/ui/library")
        assert page.status_code == 200
        first = _items(page.text)
        newest = [f"{m.job_id}.0" for m in reversed(made)]
        assert first == newest[:100]
        assert 'loading="lazy"' in page.text and 'width="150" height="150"' in page.text
        thumb = await client.get(f"/api/v1/assets/{made[-1].sha256}/thumbnail")
        assert thumb.headers["content-type"] == "image/jpeg"
        assert thumb.headers["cache-control"].endswith("immutable")  # content-addressed
        url = _next_url(page.text)
        assert url is not None and "before=" in url
        second = await client.get(url, headers={"hx-request": "true"})
        assert _items(second.text) == newest[100:]
        assert _next_url(second.text) is None  # the last batch has no sentinel
        assert "<html" not in second.text  # a fragment, not a page

    async def test_filters_narrow_the_grid_and_keep_the_url(self, lib: tuple) -> None:
        client, _state, made = lib
        videos = await client.get("/ui/library?kind=video", headers={"hx-request": "true"})
        assert "<html" not in videos.text  # a filter change swaps the grid only
        assert _items(videos.text) == [f"{m.job_id}.0" for m in reversed(made[130:])]

        sketches = await client.get("/ui/library?kind=image&model=sketch:previz")
        expected = [f"{m.job_id}.0" for m in reversed(made[:130]) if m.model == "sketch:previz"]
        assert _items(sketches.text) == expected
        assert '<option value="sketch:previz" selected>' in sketches.text

        # one day of the minute-spaced library: 2026-03-01 12:00 + 130 minutes stays on that day
        none = await client.get("/ui/library?since=2026-03-02")
        assert _items(none.text) == [] and "Nothing in the library matches" in none.text
        day = await client.get("/ui/library?since=2026-03-01&until=2026-03-01&kind=image")
        assert len(_items(day.text)) == 100
        next_url = _next_url(day.text)
        assert next_url is not None
        kept = parse_qs(urlparse(next_url).query)
        assert kept["since"] == ["2026-03-01"] and kept["kind"] == ["image"]

    async def test_project_filter_and_bad_input(self, lib: tuple) -> None:
        client, _state, made = lib
        page = await client.get("/ui/library")
        project = re.search(r'<option value="([0-9A-Z]{26})">Lighthouse story</option>', page.text)
        assert project is not None
        inside = await client.get(f"/ui/library?project={project.group(1)}&kind=image")
        expected = [f"{m.job_id}.0" for n, m in enumerate(made[:130]) if n % 3 == 0][::-1]
        assert _items(inside.text) == expected[:100]
        bad_date = await client.get("/ui/library?since=yesterday")
        assert bad_date.status_code == 422 and "YYYY-MM-DD" in bad_date.text
        bad_kind = await client.get("/ui/library?kind=audio")
        assert bad_kind.status_code == 422
        bad_cursor = await client.get("/ui/library/cards?before=nope")
        assert bad_cursor.status_code == 422

    async def test_a_hostile_prompt_is_escaped_everywhere(self, lib: tuple) -> None:
        client, _state, made = lib
        page = await client.get("/ui/library")
        assert "<img src=x onerror" not in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
        detail = await client.get(f"/ui/library/item/{made[129].job_id}.0")
        assert detail.status_code == 200
        assert (
            "<img src=x" not in detail.text and "&lt;img src=x onerror=alert(1)&gt;" in detail.text
        )
        # the reuse link carries it URL-encoded, inside an attribute
        reuse = re.search(r'href="(/ui/playground\?[^"]+)"', detail.text)
        assert reuse is not None
        query = parse_qs(urlparse(reuse.group(1).replace("&amp;", "&")).query)
        assert query["prompt"] == [HOSTILE] and query["seed"] == ["129"]
        assert query["model"] == [made[129].model] and query["kind"] == ["image"]

    async def test_the_lightbox_fragment_shows_the_generation(self, lib: tuple) -> None:
        client, _state, made = lib
        detail = await client.get(f"/ui/library/item/{made[0].job_id}.0")
        assert prompt_of(0) in detail.text
        assert "fal:flux" in detail.text and "$0.0425" in detail.text
        assert "Mara: 0.87" in detail.text and "self 0.91" in detail.text
        assert (await client.get(f"/ui/library/item/{made[0].job_id}.7")).status_code == 404
        assert (await client.get("/ui/library/item/..%2F..%2Fetc")).status_code in (404, 422)

    async def test_zip_holds_the_chosen_files_and_refuses_unknown_ids(self, lib: tuple) -> None:
        client, state, made = lib
        page = await client.get("/ui/library")
        token = csrf_from(page.text)
        chosen = [made[0].sha256, made[5].sha256, made[0].sha256]  # a repeat is zipped once
        form = {"csrf_token": token, "sha": chosen}
        response = await client.post("/ui/library/zip", data=form)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/zip"
        assert "attachment" in response.headers["content-disposition"]
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        names = archive.namelist()
        assert len(names) == 2 and all(n.endswith(".png") for n in names)
        assert archive.read(names[0]) == state.rt.assets.read(made[0].sha256, "image/png")
        assert archive.read(names[1]) == state.rt.assets.read(made[5].sha256, "image/png")

        unknown = await client.post(
            "/ui/library/zip", data={"csrf_token": token, "sha": ["a" * 64]}
        )
        assert unknown.status_code == 404 and "unknown asset" in unknown.text
        evil = await client.post(
            "/ui/library/zip", data={"csrf_token": token, "sha": ["../../storyreel.db"]}
        )
        assert evil.status_code == 422
        many = [f"{n:064x}" for n in range(501)]  # under the form parser's field limit
        too_many = await client.post("/ui/library/zip", data={"csrf_token": token, "sha": many})
        assert too_many.status_code == 422 and "at most 500" in too_many.text
        empty = await client.post("/ui/library/zip", data={"csrf_token": token})
        assert empty.status_code == 422
        forged = await client.post("/ui/library/zip", data={"sha": [made[0].sha256]})
        assert forged.status_code == 403


@pytest.fixture(scope="module")
def seeded(live: LiveServer) -> list[Seeded]:
    """250 images and 2 videos on the module's live server, made once."""
    return live.call(lambda state: seed_library(state.rt, 250, videos=2, hostile=HOSTILE))


def test_scroll_past_the_first_batch_and_open_the_lightbox(
    page: Page, live: LiveServer, seeded: list[Seeded]
) -> None:
    made = seeded
    page.goto(live.url("/ui/library"))
    cards = page.locator("#grid .lib-card")
    expect(cards).to_have_count(100)
    snap(page, "library")
    check_accessible(page)

    page.locator("#grid .lib-more").scroll_into_view_if_needed()
    expect(cards).to_have_count(200)
    hundred_first = cards.nth(100)  # newest first: the 2 videos, then images 249, 248, ...
    assert hundred_first.get_attribute("data-item") == f"{made[151].job_id}.0"
    hundred_first.scroll_into_view_if_needed()
    expect(hundred_first.locator("img")).to_have_attribute("alt", prompt_of(151))

    opener = hundred_first.locator(".lib-open")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".lb-prompt")).to_have_text(prompt_of(151))
    expect(dialog.locator(".lb-model")).to_have_text(made[151].model)
    expect(dialog.locator(".lb-cost")).to_contain_text("$0.0425")
    # the viewport only: a full-page shot would reveal the grid's next batch, which the
    # step past the last loaded card below must load itself
    snap(page, "library-lightbox", full_page=False)
    check_accessible(page)
    page.keyboard.press("ArrowRight")  # the next card is the next older one
    expect(dialog.locator(".lb-prompt")).to_have_text(prompt_of(150))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # The browser first gives focus back to the element focused before the dialog opened
    # (card 151's), then the page's close handler moves it to the card shown last: wait
    # for the second, as a reader's next keystroke would.
    shown_last = page.locator(f'#grid .lib-card[data-item="{made[150].job_id}.0"] .lib-open')
    expect(shown_last).to_be_focused()

    # stepping past the last loaded card (200th: image 52) loads the next batch; opened
    # without scrolling, so the sentinel is not revealed by the scroll itself
    expect(cards).to_have_count(200)
    cards.nth(199).locator(".lib-open").evaluate("button => button.click()")
    expect(dialog.locator(".lb-prompt")).to_have_text(prompt_of(52))
    page.keyboard.press("ArrowRight")
    expect(dialog.locator(".lb-prompt")).to_have_text(prompt_of(51))
    expect(cards).to_have_count(252)
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Select all loaded").click()
    expect(page.locator("#lib-selected")).to_have_text("252 selected")
    expect(page.locator("#lib-zip-button")).to_be_enabled()
    page.locator("#lib-zip").evaluate("form => { form.dataset.max = '100'; }")
    page.locator("#grid .lib-pick").first.uncheck()  # recounts against the cap
    expect(page.locator("#lib-selected")).to_have_text("251 selected: a zip holds at most 100")
    expect(page.locator("#lib-zip-button")).to_be_disabled()
    page.get_by_role("button", name="Clear selection").click()
    expect(page.locator("#lib-zip-button")).to_be_disabled()


def test_filters_swap_the_grid_and_push_the_url(
    page: Page, live: LiveServer, seeded: list[Seeded]
) -> None:
    page.goto(live.url("/ui/library"))
    page.get_by_label("Kind").select_option("video")
    expect(page).to_have_url(re.compile(r"kind=video"))
    expect(page.locator("#grid .lib-card .lib-badge").first).to_be_visible()
    assert page.locator("#grid .lib-card").count() == page.locator("#grid .lib-badge").count()
    page.locator("#grid .lib-pick").first.check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download selected (.zip)").click()
    path = download.value.path()
    assert zipfile.ZipFile(path).namelist()[0].endswith(".mp4")
