"""``/ui/models``: the catalog filtered by a GET form (htmx swaps only the table) and the
subscription break-even calculator, whose numbers are seed 000's, checked by hand: 50
shots x 3 images at $0.03 plus 50 x 2 clips at $0.20 is $24.50 a story; 10 stories are
$245.00 against ModelsLab's $199 plan, which pays off from 9 stories a month."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from ..browser import check_accessible, snap
from ..live import LiveServer
from ..ui_client import ui_client

VERDICT = "The Unlimited Premium plan (modelslab, $199.00/month) pays off from 9 stories a month."


async def test_the_page_lists_the_catalog_and_the_break_even(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        page = await ui.get("/ui/models")
        assert page.status_code == 200
        assert "modelslab:flux" in page.text and "fal:" in page.text
        assert 'data-testid="per-story">$24.50<' in page.text
        assert 'data-testid="pay-per-use">$245.00<' in page.text
        assert VERDICT in page.text
        assert "saves $46.00" in page.text


async def test_break_even_fragment_is_exact(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        answer = await ui.get(
            "/ui/models/break-even",
            params={"stories": 8, "shots": 50, "images_per_shot": 3, "clips_per_shot": 2},
            headers={"hx-request": "true"},
        )
        assert answer.status_code == 200 and "<html" not in answer.text
        assert 'data-testid="pay-per-use">$196.00<' in answer.text
        assert "pay per use, saves $3.00" in answer.text and VERDICT in answer.text
        other = await ui.get(
            "/ui/models/break-even",
            params={
                "stories": 1,
                "shots": 10,
                "images_per_shot": 1,
                "clips_per_shot": 1,
                "video_model": "kling",
            },
        )
        # 10 x $0.03 + 10 x $0.35 (Kling 5 s) = $3.80 a story: 199 / 3.80 = 52.4 -> 53
        assert 'data-testid="per-story">$3.80<' in other.text
        assert "pays off from 53 stories a month" in other.text
        # the lighthouse example plans 9 shots: 27 x $0.03 + 18 x $0.20 = $4.41 a story;
        # 10 stories $44.10; 199 / 4.41 = 45.1, so the plan pays off from 46
        story = await ui.get(
            "/ui/models/break-even",
            params={"stories": 10, "shots": 50, "story": "example:lighthouse"},
        )
        assert 'data-testid="story-basis"' in story.text and "9 planned shots" in story.text
        assert 'data-testid="per-story">$4.41<' in story.text
        assert 'data-testid="pay-per-use">$44.10<' in story.text
        assert "pays off from 46 stories a month" in story.text
        missing = await ui.get("/ui/models/break-even", params={"story": "example:nope"})
        assert 'role="alert"' in missing.text and "no example story" in missing.text
        wrong = await ui.get("/ui/models/break-even", params={"video_model": "nope-model"})
        assert 'role="alert"' in wrong.text and "nope-model" in wrong.text


async def test_filters_swap_the_table(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        htmx = {"hx-request": "true"}
        videos = await ui.get("/ui/models", params={"kind": "video"}, headers=htmx)
        assert "<html" not in videos.text
        kinds = set(re.findall(r'<tr data-kind="(\w+)"', videos.text))
        assert kinds == {"video"}
        search = await ui.get(
            "/ui/models", params={"provider": "modelslab", "q": "flux"}, headers=htmx
        )
        assert re.findall(r"<code class=\"model-id\">([^<]+)<", search.text) == ["modelslab:flux"]
        cheap = await ui.get(
            "/ui/models", params={"task": "image-to-video", "max_price": "0.20"}, headers=htmx
        )
        assert "fal:fal-ai/kling-video" not in cheap.text  # $0.35
        bad = await ui.get("/ui/models", params={"max_price": "cheap"}, headers=htmx)
        assert 'role="alert"' in bad.text and "not an amount" in bad.text
        escaped = await ui.get("/ui/models", params={"q": "<script>x</script>"})
        assert "<script>x</script>" not in escaped.text and "No model matches" in escaped.text


def test_break_even_for_ten_stories_and_a_kind_filter(page: Page, live: LiveServer) -> None:
    page.goto(live.url("/ui/models"))
    page.get_by_label("Stories per month").fill("10")
    page.get_by_label("Stories per month").press("Enter")
    expect(page.get_by_test_id("pay-per-use")).to_have_text("$245.00")
    expect(page.get_by_test_id("verdict")).to_have_text(VERDICT)
    page.get_by_label("Stories per month").fill("5")
    expect(page.get_by_test_id("pay-per-use")).to_have_text("$122.50")

    page.get_by_label("Kind").select_option("video")
    expect(page.locator("#catalog tr[data-kind='image']")).to_have_count(0)
    expect(page.locator("#catalog tr[data-kind='video']").first).to_be_visible()
    assert "kind=video" in page.url
    snap(page, "models")
    check_accessible(page)
