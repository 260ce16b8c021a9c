"""The story studio. Routes (no browser): a story made from the form, the YAML editor or
an upload; invalid YAML refused with one clear error and the text kept; hostile names
escaped. In the browser, on the live server: the bundled demo story opened and run,
followed live to its video with spent vs budget; then one shot's action edited in the
plan and the story run again, which makes exactly that shot's panel and clip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from storyreel.api.state import ApiState
from storyreel.services import stories

from ..browser import check_accessible, snap
from ..live import LiveServer
from ..ui_client import csrf_from, ui_client

HOSTILE = '<script>alert("x")</script>'


async def _token(ui: httpx.AsyncClient) -> str:
    return csrf_from((await ui.get("/ui/studio")).text)


async def test_a_story_from_the_form_opens_its_page(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        form = {
            "csrf_token": await _token(ui),
            "title": "Harbour",
            "characters": "Mira: a young woman in a green raincoat\n\nTomas: an old keeper",
            "text": "Mira runs to the lighthouse. Tomas waits.",
        }
        made = await ui.post("/ui/studio/new", data=form)
        assert made.status_code == 303
        story_id = made.headers["location"].rsplit("/", 1)[1]
        described = stories.describe(
            ui_settings(tmp_path), stories.story_folder(ui_settings(tmp_path), story_id)
        )
        assert [c["name"] for c in described["characters"]] == ["Mira", "Tomas"]
        listed = await ui.get("/ui/studio")
        assert f'href="/ui/studio/{story_id}">Harbour</a>' in listed.text


async def test_yaml_and_uploads_make_stories_and_bad_yaml_is_one_clear_error(
    tmp_path: Path,
) -> None:
    source = "title: Kites\nstory: |\n  A kite climbs over the hill.\n"
    async with ui_client(tmp_path) as ui:
        token = await _token(ui)
        typed = await ui.post("/ui/studio/yaml", data={"csrf_token": token, "source": source})
        assert typed.status_code == 303
        sent = await ui.post(
            "/ui/studio/upload",
            data={"csrf_token": token},
            files={"file": ("kites.yaml", source.encode(), "text/yaml")},
        )
        assert sent.status_code == 303
        assert len(stories.stored_ids(ui_settings(tmp_path))) == 2

        broken = "title: Kites\nstory: [unclosed\n"
        refused = await ui.post("/ui/studio/yaml", data={"csrf_token": token, "source": broken})
        assert refused.status_code == 400
        alerts = refused.text.count('role="alert"')
        assert alerts == 1, "one error, above the form"
        assert "the story YAML is not a UTF-8 YAML file: while parsing" in refused.text
        assert "story: [unclosed" in refused.text, "the text is kept to fix"
        unknown = await ui.post(
            "/ui/studio/upload",
            data={"csrf_token": token},
            files={"file": ("s.yaml", b"title: T\ncharaters: []\nstory: x\n", "text/yaml")},
        )
        assert unknown.status_code == 400 and "charaters" in unknown.text
        assert len(stories.stored_ids(ui_settings(tmp_path))) == 2, "nothing stored"


async def test_hostile_names_are_escaped_in_the_list_and_the_form(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        token = await _token(ui)
        form = {"csrf_token": token, "title": HOSTILE, "characters": f"{HOSTILE}: x", "text": "."}
        assert (await ui.post("/ui/studio/new", data=form)).status_code == 303
        listed = await ui.get("/ui/studio")
        assert HOSTILE not in listed.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in listed.text
        refused = await ui.post("/ui/studio/new", data=form | {"title": "", "text": HOSTILE})
        assert refused.status_code in (400, 422) and HOSTILE not in refused.text


async def test_forms_without_the_csrf_token_are_refused(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        await ui.get("/ui/studio")
        refused = await ui.post("/ui/studio/demo")
        assert refused.status_code == 403
        assert stories.stored_ids(ui_settings(tmp_path)) == []


def ui_settings(tmp_path: Path) -> Any:
    from tests.api.conftest import api_settings

    return api_settings(tmp_path)


# --- in the browser --------------------------------------------------------------------

WATCH = """() => {
  window.__seen = [];
  const note = () => document.querySelectorAll('.run-live').forEach((box) => {
    const key = `${box.dataset.state}:${box.dataset.panels}:${box.dataset.clips}`;
    if (window.__seen[window.__seen.length - 1] !== key) window.__seen.push(key);
  });
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true});
}"""


async def _render_small(state: ApiState, story_id: str) -> None:
    """The stored demo rendered small and short (as the storyboard's browser test renders
    it): the same nine shots, stages and exports, the run a fraction of the demo's (the
    full-size demo runs in tests/e2e/test_demo.py)."""
    folder = stories.story_folder(state.settings, story_id)
    raw = json.loads(folder.story_file.read_text(encoding="utf-8"))
    raw["render"] |= {"width": 384, "height": 216, "fps": 8, "duration": 1.0}
    raw["render"]["transition_frames"] = 2
    folder.story_file.write_text(json.dumps(raw, indent=2), encoding="utf-8")


def test_run_the_demo_story_and_watch_it_finish_live(page: Page, live: LiveServer) -> None:
    page.goto(live.url("/ui/studio"))
    snap(page, "studio-list")
    check_accessible(page)

    page.get_by_role("button", name="Open the bundled demo story").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The Lighthouse Keeper's Daughter")
    expect(page.locator("#plan tbody tr")).to_have_count(9)
    story_id = page.url.rsplit("/", 1)[1]
    live.call(lambda state: _render_small(state, story_id))
    page.reload()
    expect(page.locator("#plan tbody tr")).to_have_count(9)
    page.evaluate(WATCH)
    page.get_by_label("Budget in USD").fill("1.00")
    page.get_by_role("button", name="Run", exact=True).click()

    video = page.locator("video#story-video")
    expect(video).to_be_visible(timeout=180_000)
    seen = page.evaluate("window.__seen")
    running = [key for key in seen if key.startswith("running:")]
    assert len(running) >= 2, f"progress should move live over SSE: {seen}"
    assert seen[-1] == "succeeded:9:9", seen
    spent = page.locator("#spent [data-usd]").evaluate_all("els => els.map(e => e.dataset.usd)")
    assert len(spent) == 2 and float(spent[0]) <= float(spent[1]) == 1.0
    expect(page.locator("#spent")).to_contain_text("of $1.00 budget")
    expect(page.locator(".stages li.done")).to_have_count(5)
    exports = page.locator("#run .exports")
    for name in (
        "Video (MP4)",
        "Storyboard (PDF)",
        "Webtoon strip, part 1 of 1",
        "Manifest (JSON)",
    ):
        expect(exports.get_by_role("link", name=name)).to_be_visible()
    assert video.evaluate("v => v.readyState >= 1 || v.networkState !== 3")
    snap(page, "studio-story")
    check_accessible(page)
