"""The playground: route tests in process (the estimate is the API's, refusals in words,
user text escaped, uploads held to the API's limits), then the browser on a live server
with the simulators (pick a fal model, watch the estimate follow the count, generate and
see the image appear without a reload; the mode survives a reload; a dropped reference)."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from storyreel.api.state import ApiState
from storyreel.services import jobs as job_service
from storyreel.web.templating import money
from tests.api.conftest import png

from ..browser import check_accessible, snap
from ..live import LiveServer
from ..ui_client import csrf_from, ui_client

FAL_IMAGE = "fal:fal-ai/flux-2/turbo"
VEO = "gemini:veo-3.1-fast-generate-preview"
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


async def _token(ui: httpx.AsyncClient) -> dict[str, str]:
    page = await ui.get("/ui/playground")
    assert page.status_code == 200
    return {"x-csrf-token": csrf_from(page.text), "hx-request": "true"}


async def test_the_estimate_fragment_is_the_apis_estimate(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        headers = await _token(ui)
        cases = [
            (FAL_IMAGE, 3, None, None),
            ("fal:fal-ai/flux-2-pro", 1, "1536x1024", None),
            ("fal:fal-ai/gpt-image-1.5", 2, "1536x1024", "low"),  # the playground's default
            ("fal:fal-ai/gpt-image-1.5", 1, None, "high"),
        ]
        for model, count, size, quality in cases:
            body: dict[str, object] = {"model": model, "prompt": "a fox", "count": count}
            form = {"mode": "image", "image_model": model, "image_count": str(count)}
            if size:
                body |= {"width": 1536, "height": 1024}
                form["image_size"] = size
            if quality:
                body["quality"] = quality
                if quality != "low":
                    form["image_quality"] = quality
            api = await ui.post("/api/v1/estimate", json=body)
            assert api.status_code == 200, api.text
            usd = Decimal(api.json()["estimate_usd"])
            fragment = await ui.post("/ui/playground/estimate", data=form, headers=headers)
            assert fragment.status_code == 200
            shown = re.search(r'class="pg-estimate-usd">([^<]+)<', fragment.text)
            assert shown and shown.group(1) == money(usd)
        # "both": one line per job and their sum
        both = {"mode": "both", "image_model": FAL_IMAGE, "video_model": VEO, "budget": ""}
        fragment = await ui.post("/ui/playground/estimate", data=both, headers=headers)
        assert fragment.text.count('class="pg-estimate-usd"') == 2
        assert 'id="pg-total"' in fragment.text


async def test_refusals_are_words_next_to_the_form(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        headers = await _token(ui)
        base = {"mode": "image", "prompt": "a fox", "image_model": FAL_IMAGE}
        cases = [
            ({"image_model": "no-such-model"}, 422, "unknown model"),
            ({"image_size": "bigxsmall"}, 422, "width must be a whole number"),
            ({"image_count": "40"}, 422, "count"),
            ({"budget": "0.001"}, 402, "over the budget"),
            ({"prompt": ""}, 422, "Write a prompt first."),
            # each job fits the budget ($0.008 and $0.80), the pair ($0.808) does not
            ({"mode": "both", "video_model": VEO, "budget": "0.805"}, 402, "together"),
        ]
        for change, status, words in cases:
            reply = await ui.post("/ui/playground/generate", data=base | change, headers=headers)
            assert reply.status_code == status, (change, reply.text)
            assert reply.headers["hx-retarget"] == "#pg-errors"
            assert 'role="alert"' in reply.text and words in html.unescape(reply.text)
        jobs = await ui.get("/api/v1/jobs")
        assert jobs.json()["jobs"] == []  # nothing was submitted


async def test_a_hostile_prompt_is_escaped_everywhere(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        headers = await _token(ui)
        form = {"mode": "image", "prompt": HOSTILE, "image_model": "sketch:previz"}
        reply = await ui.post("/ui/playground/generate", data=form, headers=headers)
        assert reply.status_code == 200, reply.text
        assert reply.headers["hx-trigger"] == "pg-submitted"
        assert re.search(r'data-status="(queued|running|succeeded)"', reply.text)
        job_id = re.search(r'data-job-id="([0-9A-Z]{26})"', reply.text)
        assert job_id
        prompts = await ui.get("/ui/playground/prompts", headers=headers)
        reuse = await ui.get("/ui/playground", params={"prompt": HOSTILE, "model": "sketch"})
        card = await ui.get(f"/ui/playground/jobs/{job_id.group(1)}", headers=headers)
        for text in (reply.text, prompts.text, reuse.text, card.text):
            assert "<script>alert" not in text and "<img src=x" not in text
            assert "&lt;script&gt;" in text
        assert 'data-prompt="&lt;script&gt;alert(&#34;pwned&#34;)' in prompts.text


async def test_reuse_settings_link_fills_the_form(tmp_path: Path) -> None:
    async with ui_client(tmp_path) as ui:
        page = await ui.get(
            "/ui/playground",
            params={"model": "veo31", "prompt": "a storm", "seed": "42", "kind": "video"},
        )
        text = page.text
        assert re.search(r'value="video"[^>]*checked', text)
        assert 'name="seed" min="0"' in text and 'value="42"' in text
        assert ">a storm</textarea>" in text
        assert re.search(r'<option value="fal:fal-ai/veo3.1"[^>]*selected', text) or re.search(
            r'<option value="[^"]+"[^>]*selected>[^<]*Veo', text
        )
        options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', text))
        assert options["fal:fal-ai/veo3.1/image-to-video"].endswith("needs a start image")
        assert "needs" not in options[VEO]  # it does text-to-video too
        unknown = await ui.get("/ui/playground", params={"model": "nope-model"})
        assert "unknown model" in html.unescape(unknown.text)


async def test_an_upload_over_the_limit_is_refused(tmp_path: Path) -> None:
    big = png(size=(400, 400))
    async with ui_client(tmp_path, settings={"max_upload_bytes": len(big) - 1}) as ui:
        headers = await _token(ui)
        form = {"mode": "image", "prompt": "a fox", "image_model": "sketch"}
        files = [("reference", ("big.png", big, "image/png"))]
        reply = await ui.post("/ui/playground/generate", data=form, files=files, headers=headers)
        assert reply.status_code == 422
        assert f"big.png is larger than {len(big) - 1} bytes" in reply.text
        fake = [("reference", ("notes.png", b"not an image at all", "image/png"))]
        reply = await ui.post("/ui/playground/generate", data=form, files=fake, headers=headers)
        assert reply.status_code == 422 and "notes.png" in reply.text
        stored = {**form, "reference_asset": "f" * 64}
        reply = await ui.post("/ui/playground/generate", data=stored, headers=headers)
        assert reply.status_code == 422 and "no asset" in reply.text
        assert (await ui.get("/api/v1/jobs")).json()["jobs"] == []


# -- in the browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(Path(tmp_path_factory.mktemp("playground"))) as server:
        yield server


def _estimate(page: Page) -> str:
    return page.locator("#pg-estimate .pg-estimate-usd").first.inner_text()


def test_generate_an_image_and_see_it_appear(page: Page, sims: LiveServer) -> None:
    page.goto(sims.url("/ui/playground"))
    page.get_by_label("Image", exact=True).check()
    page.get_by_label("Image model").select_option(FAL_IMAGE)
    expect(page.locator("#pg-estimate .pg-estimate-model").first).to_have_text(FAL_IMAGE)
    one = Decimal(_estimate(page).lstrip("$"))
    page.get_by_label("Number of images").select_option("2")
    usd = page.locator("#pg-estimate .pg-estimate-usd").first
    expect(usd).to_have_text(money(2 * one))

    page.get_by_label("Prompt", exact=True).fill("a lighthouse at dusk")
    page.get_by_role("button", name="Generate").click()
    card = page.locator(".pg-card").first
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(card.locator("img")).to_have_count(2)
    expect(page.locator("#pg-prompts")).to_contain_text("a lighthouse at dusk")
    page.evaluate("window.scrollTo(0, 0)")
    snap(page, "playground")
    check_accessible(page)

    # the recent prompt's Add puts it in the prompt box
    page.get_by_label("Prompt", exact=True).fill("")
    page.locator("#pg-prompts .pg-add").first.click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("a lighthouse at dusk")

    # an image, then a video animated from it: the card's Animate opens video mode with
    # the image as the reference (image-to-video)
    card.get_by_role("link", name="Animate image 1").click()
    expect(page.get_by_label("Video", exact=True)).to_be_checked()
    expect(page.locator("input[name=reference_asset]")).to_be_checked()
    page.get_by_label("Video model").select_option(VEO)
    expect(page.locator("#pg-estimate .pg-estimate-model").first).to_have_text(VEO)
    page.get_by_role("button", name="Generate").click()
    clip = page.locator(".pg-card").first
    expect(clip).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(clip.locator("video")).to_have_count(1)
    page.evaluate("window.scrollTo(0, 0)")
    snap(page, "playground-video")
    job_id = clip.get_attribute("data-job-id") or ""
    assert sims.call(lambda state: _task_of(state, job_id)) == "image-to-video"


async def _task_of(state: ApiState, job_id: str) -> str:
    return (await job_service.get_job(state.rt, job_id)).task


def test_the_mode_survives_a_reload_and_a_reference_drops_in(page: Page, sims: LiveServer) -> None:
    page.goto(sims.url("/ui/playground"))
    page.get_by_label("Video", exact=True).check()
    expect(page.locator("#pg-video-model")).to_be_visible()
    expect(page.locator("#pg-image-model")).to_have_count(0)
    page.reload()
    expect(page.get_by_label("Video", exact=True)).to_be_checked()
    expect(page.locator("#pg-video-model")).to_be_visible()

    page.get_by_label("Both", exact=True).check()
    expect(page.locator("#pg-image-model")).to_be_visible()
    expect(page.locator("#pg-total")).to_be_visible()

    # a file dropped on the zone becomes the file input's, and the estimate counts it
    page.evaluate(
        """(b64) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const dropped = new DataTransfer();
          dropped.items.add(new File([bytes], "ref.png", {type: "image/png"}));
          const zone = document.getElementById("pg-drop");
          zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dropped, bubbles: true}));
        }""",
        base64.b64encode(png()).decode(),
    )
    expect(page.locator("#pg-ref-list")).to_contain_text("ref.png")
    expect(page.locator("#pg-ref-count")).to_have_value("1")
    assert page.evaluate("document.getElementById('pg-reference').files.length") == 1
    snap(page, "playground-both")
    check_accessible(page)
