"""The studio's storyboard grid: the board of a finished story, its per-shot actions
(regenerate, pick a candidate, finalize drafts) through the same services as the API and
the CLI, errors in words, user text escaped; and the board in a real browser."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Page, expect

from storyreel.api.state import ApiState
from storyreel.services import stories
from storyreel.services.story_runs import StoryRuns
from tests.api.conftest import api_settings, running_api
from tests.api.routes.conftest import STORY

from ..browser import check_accessible, snap
from ..live import LiveServer
from ..ui_client import csrf_from

HX = {"HX-Request": "true"}
HOSTILE = '<img src=x onerror="alert(1)"> Ines unrolls a kite'


def demo_story() -> dict[str, Any]:
    """The bundled demo (nine shots, two characters drawn from sheets), rendered small and
    short: the board is the same, the run a fraction of the demo's."""
    text = files("storyreel.examples").joinpath("lighthouse.yaml").read_text(encoding="utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    raw["render"] |= {"width": 384, "height": 216, "fps": 8, "duration": 1.0}
    raw["render"]["transition_frames"] = 2
    return raw


def candidate_story() -> dict[str, Any]:
    """Two tiny shots, two candidates each, drawn as drafts; the first action hostile."""
    raw = copy.deepcopy(STORY)
    raw["title"] = "<b>Kites</b> & co"
    raw["beats"][0]["shots"][0]["action"] = HOSTILE
    raw["render"] |= {"candidates": 2, "draft_model": "sketch:previz"}
    return raw


class Spy:
    """Starts every run the UI asks for, for real, and records the ones that started."""

    def __init__(self, runs: StoryRuns) -> None:
        self.calls: list[dict[str, Any]] = []
        self._start = runs.start
        runs.start = self  # type: ignore[method-assign]

    def __call__(self, folder: stories.StoryFolder, **kwargs: Any) -> None:
        self._start(folder, **kwargs)
        self.calls.append(kwargs)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, ApiState]]:
    async with running_api(api_settings(tmp_path)) as (client, state):
        client.headers["accept"] = "text/html"
        yield client, state


async def ran(state: ApiState, raw: dict[str, Any], **start: Any) -> str:
    """Store ``raw`` and run it to the end; its id."""
    story_id = stories.create_story(state.settings, raw, name="story.json")
    assert state.story_runs is not None
    state.story_runs.start(stories.story_folder(state.settings, story_id), **start)
    await finished(state, story_id)
    return story_id


async def finished(state: ApiState, story_id: str) -> dict[str, Any]:
    assert state.story_runs is not None
    task = state.story_runs.tasks.get(story_id)
    if task is not None:
        await asyncio.wait_for(asyncio.shield(task), 240)
    run = stories.read_run(stories.story_folder(state.settings, story_id))
    assert run is not None and run["state"] == "succeeded", run
    return run


async def token(client: httpx.AsyncClient, story_id: str) -> dict[str, str]:
    """The CSRF header a page of the board gives its htmx requests."""
    page = await client.get(f"/ui/studio/{story_id}/board")
    return HX | {"X-CSRF-Token": csrf_from(page.text)}


def panel_job(card: str) -> str:
    found = re.search(r'data-panel-job="(\w+)"', card)
    assert found, card
    return found.group(1)


def card(html: str, number: int) -> str:
    found = re.search(rf'<article[^>]* id="shot-{number}".*?</article>', html, re.S)
    assert found, f"no card of shot {number}"
    return found.group(0)


@pytest.mark.slow
async def test_the_demo_board_and_regenerating_one_panel(
    served: tuple[httpx.AsyncClient, ApiState],
) -> None:
    client, state = served
    story_id = await ran(state, demo_story())
    board = f"/ui/studio/{story_id}/board"

    fragment = await client.get(board, headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    shots = re.findall(r'<article[^>]* id="shot-(\d+)"', fragment.text)
    assert shots == [str(n) for n in range(1, 10)], "every shot of the demo, in order"
    for number in range(1, 10):
        one = card(fragment.text, number)
        assert re.search(r'<img src="/api/v1/assets/[0-9a-f]{64}/thumbnail"', one), one
        assert 'loading="lazy"' in one and f'alt="Shot {number}: ' in one
        assert "<video" in one and "Regenerate panel" in one and "Regenerate clip" in one
        assert "Cost $0.00" in one
    assert re.search(r"Mira: ID 0\.\d\d", card(fragment.text, 2)), "the stored identity score"
    assert re.search(r"Tomas: ID 0\.\d\d", card(fragment.text, 6))
    assert "ID " not in card(fragment.text, 1), "nobody to score in an establishing shot"
    for file in ("story.mp4", "storyboard.pdf", "webtoon/part_01.png", "contact_sheet.png"):
        link = f'href="/api/v1/stories/{story_id}/outputs/{file}"'
        assert link in fragment.text, file
        got = await client.get(f"/api/v1/stories/{story_id}/outputs/{file}")
        assert got.status_code == 200 and got.content, file
    assert "Finalize selected" not in fragment.text, "the demo has no drafts"

    page = await client.get(board)
    assert "<h1>The Lighthouse Keeper&#39;s Daughter</h1>" in page.text
    assert 'hx-trigger="storyboard-refresh from:body"' in page.text

    assert state.story_runs is not None
    spy = Spy(state.story_runs)
    refused = await client.post(f"{board}/shots/2/regenerate", data={"stage": "panel"}, headers=HX)
    assert refused.status_code == 403 and not spy.calls, "no CSRF token, no run"

    headers = await token(client, story_id)
    before = card(fragment.text, 2)
    answer = await client.post(
        f"{board}/shots/2/regenerate", data={"stage": "panel"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert len(spy.calls) == 1
    redo = spy.calls[0]["redo"]
    assert (redo.shot, redo.stage) == (2, "panel")
    assert re.findall(r'<article[^>]* id="shot-(\d+)"', answer.text) == ["2"], "only that card"
    assert "Regenerating…" in answer.text
    assert 'id="board-watch"' in answer.text and 'hx-swap-oob="true"' in answer.text
    assert 'hx-trigger="every 1s"' in answer.text

    busy = await client.post(f"{board}/shots/3/regenerate", data={"stage": "clip"}, headers=headers)
    assert busy.status_code == 409 and "running" in busy.json()["detail"]
    assert len(spy.calls) == 1, "one redo at a time"

    await finished(state, story_id)
    ended = await client.get(f"{board}/watch", headers=HX)
    assert ended.status_code == 286 and ended.headers["hx-trigger"] == "storyboard-refresh"
    after = (await client.get(f"{board}/shots/2", headers=HX)).text
    assert panel_job(after) != panel_job(before), "a new take"
    assert "take 2" in after and "Regenerating" not in after
    others = (await client.get(board, headers=HX)).text
    assert "take 2" not in card(others, 3), "the other shots are untouched"

    missing = await client.get(f"{board}/shots/42", headers=HX)
    assert missing.status_code == 404 and "has no shot 42 (it has shots 1-9)" in missing.text
    post = await client.post(
        f"{board}/shots/42/regenerate", data={"stage": "clip"}, headers=headers
    )
    assert post.status_code == 404 and len(spy.calls) == 1
    unknown = await client.get(f"/ui/studio/{'0' * 32}/board")
    assert unknown.status_code == 404 and "no story" in unknown.text and "<html" in unknown.text
    bad = await client.post(f"{board}/shots/2/regenerate", data={"stage": "both"}, headers=headers)
    assert bad.status_code == 422 and len(spy.calls) == 1


@pytest.mark.slow
async def test_candidates_and_finalizing_the_chosen_drafts(
    served: tuple[httpx.AsyncClient, ApiState],
) -> None:
    client, state = served
    story_id = await ran(state, candidate_story())
    board = f"/ui/studio/{story_id}/board"
    folder = stories.story_folder(state.settings, story_id)

    html = (await client.get(board, headers=HX)).text
    assert "<img src=x" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    first = card(html, 1)
    assert 'alt="Shot 1: &lt;img src=x' in first
    assert first.count('alt="Candidate ') == 2 and first.count("In use") == 1
    assert re.search(r"ID 0\.\d\d</span>", first), "each candidate with its score"
    assert "Draft" in first and 'form="finalize-form"' in first
    assert "Finalize selected" in html
    page = (await client.get(board)).text
    assert "&lt;b&gt;Kites&lt;/b&gt; &amp; co" in page and "<b>Kites" not in page

    in_use = re.search(r"Pick candidate (\d)", first)
    assert in_use, first
    other = int(in_use.group(1))
    wanted = re.findall(r'alt="Candidate (\d) of shot 1"', first)
    thumbs = re.findall(r"/api/v1/assets/(\w{64})/thumbnail\" loading", first)
    shas = dict(zip(wanted, thumbs, strict=True))
    assert state.story_runs is not None
    spy = Spy(state.story_runs)
    headers = await token(client, story_id)
    picked = await client.post(f"{board}/shots/1/pick", data={"candidate": other}, headers=headers)
    assert picked.status_code == 200, picked.text
    assert len(spy.calls) == 1 and spy.calls[0]["shots"] == [1]
    await finished(state, story_id)
    after = card((await client.get(board, headers=HX)).text, 1)
    assert f'href="/api/v1/assets/{shas[str(other)]}"' in after, "the picked candidate is the panel"
    assert f"Pick candidate {other}" not in after
    outside = await client.post(f"{board}/shots/1/pick", data={"candidate": 7}, headers=headers)
    assert outside.status_code == 422 and "pick 1 to 2" in outside.json()["detail"]

    nothing = await client.post(f"{board}/finalize", headers=headers)
    assert nothing.status_code == 422 and "choose the shots" in nothing.json()["detail"]
    unknown = await client.post(f"{board}/finalize", data={"shots": ["2", "5"]}, headers=headers)
    assert unknown.status_code == 404 and "no shot 5" in unknown.json()["detail"]
    assert len(spy.calls) == 1
    final = await client.post(f"{board}/finalize", data={"shots": ["2"]}, headers=headers)
    assert final.status_code == 204 and final.headers["hx-trigger"] == "storyboard-refresh"
    options = spy.calls[1]["options"]
    assert options.finalize and options.shots == frozenset({2}), "the chosen shot only"
    await finished(state, story_id)
    html = (await client.get(board, headers=HX)).text
    assert "Final" in card(html, 2) and "Draft" not in card(html, 2)
    assert "Draft" in card(html, 1) and "Final<" not in card(html, 1)
    run = json.loads(folder.run_file.read_text())
    assert run["finalized"] == [2]


def test_regenerating_a_panel_in_the_browser(page: Page, live: LiveServer) -> None:
    async def run_demo(state: ApiState) -> str:
        return await ran(state, demo_story())

    story_id = live.call(run_demo, timeout=250)
    page.goto(live.url(f"/ui/studio/{story_id}"))  # the studio loads the board into its section
    grid = page.locator("#storyboard")
    expect(grid.locator("article.sb-card")).to_have_count(9)
    expect(page.get_by_role("img", name=re.compile(r"^Shot 2: "))).to_be_visible()
    last = page.get_by_role("img", name=re.compile(r"^Shot 9: "))
    last.scroll_into_view_if_needed()  # lazy: loaded once near the viewport
    page.wait_for_function("[...document.images].every((i) => i.complete && i.naturalWidth)")
    page.evaluate("window.scrollTo(0, 0)")
    snap(page, "storyboard-in-the-studio")
    check_accessible(page)

    shot = page.locator("#shot-2")
    before = shot.get_attribute("data-panel-job")
    shot.get_by_role("button", name="Regenerate panel of shot 2").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#shot-2")).to_contain_text("Regenerating…")
    expect(page.locator("#shot-2")).to_be_focused()  # the keyboard stays on the card
    # the studio may refresh the board while the run goes: wait for the run's end
    expect(page.locator("#shot-2")).not_to_contain_text("Regenerating…", timeout=120_000)
    expect(page.locator("#shot-2")).to_contain_text("take 2")
    expect(page.locator("#shot-2")).to_be_focused()  # also after the board's refresh
    assert page.locator("#shot-2").get_attribute("data-panel-job") != before
    expect(page.locator("#shot-3")).not_to_contain_text("take 2")
    check_accessible(page)


def test_picking_and_finalizing_in_the_browser(page: Page, live: LiveServer) -> None:
    async def run_drafts(state: ApiState) -> str:
        return await ran(state, candidate_story())

    story_id = live.call(run_drafts, timeout=250)
    page.goto(live.url(f"/ui/studio/{story_id}/board"))  # the board's own page (a link to it)
    first = page.locator("#shot-1")
    expect(first.get_by_role("img", name="Candidate 2 of shot 1")).to_be_visible()
    expect(first.locator(".badge", has_text="Draft")).to_be_visible()
    snap(page, "storyboard-candidates")
    check_accessible(page)

    page.get_by_role("checkbox", name="Finalize shot 2").check()
    page.get_by_role("button", name="Finalize selected").press("Enter")
    expect(page.locator("#shot-2 .badge", has_text="Final")).to_be_visible(timeout=120_000)
    expect(page.locator("#shot-1 .badge", has_text="Draft")).to_be_visible()

    other = first.get_by_role("button", name=re.compile(r"^Pick candidate \d of shot 1$"))
    label = other.inner_text()
    other.click()
    expect(page.locator("#shot-1")).to_contain_text("Regenerating…")
    number = re.search(r"\d", label)
    assert number
    chosen = page.locator(
        "#shot-1 li", has=page.get_by_alt_text(f"Candidate {number[0]} of shot 1")
    )
    expect(chosen).to_contain_text("In use", timeout=120_000)
    expect(page.locator("#shot-2 .badge", has_text="Final")).to_be_visible()
