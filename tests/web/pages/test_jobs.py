"""The Jobs page: route tests in process (list, filters, paging, cancel and retry through
the UI routes with the CSRF header, failures in words, a hostile prompt escaped), and
browser tests on the live server with the simulators (a job's row going live from queued
to done with its final cost, cancel from the page, screenshots and axe)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from storyreel.api.state import ApiState
from storyreel.engine import jobs as job_rows
from storyreel.errors import FailureReason
from storyreel.providers.types import JobState
from storyreel.services import jobs as job_service
from storyreel.store.models import Job
from storyreel.vocabulary import GenerationRequest, Task
from tests.api.conftest import api_settings, running_api

from ..browser import check_accessible, snap
from ..live import LiveServer
from ..ui_client import csrf_from

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def sketch(seed: int, prompt: str = "a lighthouse at dusk") -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="sketch:previz", prompt=prompt, seed=seed
    )


@asynccontextmanager
async def ui(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, ApiState]]:
    async with running_api(api_settings(tmp_path)) as (client, state):
        client.headers["accept"] = "text/html"
        yield client, state


async def seed(state: ApiState, n: int, **kw: object) -> list[Job]:
    made = []
    for i in range(n):
        job, _ = await job_rows.create_job(
            state.rt.db,
            sketch(1000 + i, **kw),
            estimate_usd=Decimal("0.003"),  # type: ignore[arg-type]
        )
        made.append(job)
    return made


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="job-([0-9A-Za-z]+)"', html)


async def test_the_list_is_newest_first_with_load_more_and_filters(tmp_path: Path) -> None:
    async with ui(tmp_path) as (client, state):
        made = await seed(state, 53)
        page = await client.get("/ui/jobs")
        assert page.status_code == 200
        ids = row_ids(page.text)
        assert ids == [j.id for j in reversed(made)][:50]
        assert 'sse-connect="/ui/jobs/events?since=' + made[-1].id in page.text
        assert "sketch:previz" in page.text and "1024\u00d71024" in page.text
        assert "est. $0.003" in page.text

        more = re.search(r'hx-get="(/ui/jobs/rows\?[^"]+)"', page.text)
        assert more, "no load-more button"
        rest = await client.get(more.group(1).replace("&amp;", "&"), headers={"hx-request": "1"})
        assert row_ids(rest.text) == [j.id for j in reversed(made[:3])]
        assert (
            'id="load-more" class="load-more" hx-swap-oob="true"' in rest.text
            and "every job" in rest.text
        )

        await job_rows.transition(state.rt.db, made[0].id, JobState.FAILED, error="x")
        failed = await client.get("/ui/jobs?status=failed")
        assert row_ids(failed.text) == [made[0].id]
        assert row_ids((await client.get("/ui/jobs?kind=video")).text) == []
        assert len(row_ids((await client.get("/ui/jobs?kind=image&provider=sketch")).text)) == 50
        assert row_ids((await client.get("/ui/jobs?provider=fal")).text) == []
        assert row_ids((await client.get("/ui/jobs?model=fal:nope")).text) == []
        assert (await client.get("/ui/jobs?status=sleeping")).status_code == 422
        assert (await client.get("/ui/jobs?kind=smell")).status_code == 422


async def test_failures_in_words_failover_links_and_a_hostile_prompt(tmp_path: Path) -> None:
    async with ui(tmp_path) as (client, state):
        bad, other = await seed(state, 1, prompt=HOSTILE) + await seed(state, 1)
        await job_rows.transition(
            state.rt.db,
            bad.id,
            JobState.FAILED,
            error="prompt <too> long",
            error_reason=FailureReason.INPUT.value,
            failover_to=other.id,
        )
        await job_rows.update_job(state.rt.db, other.id, failover_from=bad.id)
        page = (await client.get("/ui/jobs")).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        assert "the provider refused the input: prompt &lt;too&gt; long" in page
        assert f'Failed over to <a href="/ui/jobs/{other.id}">' in page
        assert f'Took over from <a href="/ui/jobs/{bad.id}">' in page

        detail = await client.get(f"/ui/jobs/{bad.id}")
        assert detail.status_code == 200 and "<script>alert" not in detail.text
        assert "the provider refused the input" in detail.text and "Final cost" in detail.text
        missing = await client.get("/ui/jobs/01NOSUCHJOB")
        assert missing.status_code == 404 and "no job" in missing.text
        no_stream = await client.get("/ui/jobs/events?job=01NOSUCHJOB")
        assert no_stream.status_code == 404  # before any stream starts


async def test_cancel_and_retry_through_the_ui_routes(tmp_path: Path) -> None:
    async with ui(tmp_path) as (client, state):
        (job,) = await seed(state, 1)
        token = csrf_from((await client.get("/ui/jobs")).text)
        refused = await client.post(f"/ui/jobs/{job.id}/cancel", headers={"hx-request": "1"})
        assert refused.status_code == 403
        assert (await job_service.get_job(state.rt, job.id)).status == "queued"

        headers = {"hx-request": "1", "x-csrf-token": token}
        canceled = await client.post(f"/ui/jobs/{job.id}/cancel", headers=headers)
        assert canceled.status_code == 200, canceled.text
        assert row_ids(canceled.text) == [job.id] and ">canceled<" in canceled.text
        assert "Retry job" in canceled.text and "canceled" in canceled.text
        again = await client.post(f"/ui/jobs/{job.id}/cancel", headers=headers)
        assert again.status_code == 422 and "already canceled" in again.json()["detail"]

        retried = await client.post(f"/ui/jobs/{job.id}/retry", headers=headers)
        assert retried.status_code == 200
        new_id = re.search(r"Retried as <a href=\"/ui/jobs/([0-9A-Za-z]+)\"", retried.text)
        assert new_id and new_id.group(1) != job.id
        new = await job_service.get_job(state.rt, new_id.group(1))
        assert new.request == job.request

        detail = await client.post(f"/ui/jobs/{job.id}/retry?view=detail", headers=headers)
        assert detail.headers["hx-redirect"].startswith("/ui/jobs/")


# -- in the browser, on the live server with the simulators ---------------------------------

FAL_IMAGE = "fal:fal-ai/flux-2/turbo"


def fal(prompt: str, seed: int) -> GenerationRequest:
    return GenerationRequest(task=Task.TEXT_TO_IMAGE, model=FAL_IMAGE, prompt=prompt, seed=seed)


def submit(live: LiveServer, req: GenerationRequest) -> Job:
    async def go(state: ApiState) -> Job:
        return await state.submit(req)

    return live.call(go)


def job_now(live: LiveServer, job_id: str) -> Job:
    async def go(state: ApiState) -> Job:
        return await job_service.get_job(state.rt, job_id)

    return live.call(go)


async def failed_over(state: ApiState) -> tuple[Job, Job]:
    """A job that failed for an outage and the one that took it over (rows only)."""
    first, _ = await job_rows.create_job(state.rt.db, sketch(1, prompt=HOSTILE))
    second, _ = await job_rows.create_job(state.rt.db, sketch(2, prompt=HOSTILE))
    await job_rows.transition(
        state.rt.db,
        first.id,
        JobState.FAILED,
        error="HTTP 503 from the provider",
        error_reason=FailureReason.PROVIDER_DOWN.value,
        failover_to=second.id,
        cost_usd=Decimal(0),
    )
    await job_rows.transition(
        state.rt.db,
        second.id,
        JobState.SUCCEEDED,
        failover_from=first.id,
        cost_usd=Decimal("0.003"),
    )
    return first, second


def test_a_job_goes_live_from_queued_to_done_with_its_cost(page: Page, live: LiveServer) -> None:
    live.sim.latency = 2.0
    first, second = live.call(failed_over)
    page.goto(live.url("/ui/jobs"))
    failed = page.locator(f"#job-{first.id}")
    expect(failed.locator(".job-error")).to_have_text(
        "the provider is down or unreachable: HTTP 503 from the provider"
    )
    expect(failed.get_by_role("link", name=f"job {second.id}")).to_be_visible()
    expect(failed.locator(".prompt")).to_have_text(HOSTILE)  # shown as text, never run
    page.evaluate("window.__notReloaded = true")
    job = submit(live, fal("a red kite over the dunes", 7))

    row = page.locator(f"#job-{job.id}")
    expect(row.locator(".state")).to_have_text(re.compile("queued|running"))
    expect(row.locator(".model-badge")).to_contain_text(FAL_IMAGE)
    expect(row.locator(".state")).to_have_text("succeeded", timeout=30_000)
    done = job_now(live, job.id)
    assert done.cost_usd is not None
    from storyreel.web.templating import money

    expect(row.locator(".final-cost")).to_have_text(money(done.cost_usd))
    assert page.evaluate("window.__notReloaded") is True  # changed live, not reloaded
    snap(page, "jobs")
    check_accessible(page)

    row.get_by_role("link", name=f"details of job {job.id}").click()
    expect(page.get_by_role("heading", name=f"Job {job.id}")).to_be_visible()
    expect(page.get_by_role("img", name=f"Output 1 of job {job.id}")).to_be_visible()
    snap(page, "job-detail")
    check_accessible(page)


def test_cancel_a_slow_job_from_the_page(page: Page, live: LiveServer) -> None:
    live.sim.latency = 60.0
    try:
        job = submit(live, fal("a very slow glacier", 8))
        page.goto(live.url("/ui/jobs?status=running"))
        row = page.locator(f"#job-{job.id}")
        expect(row.locator(".state")).to_have_text("running")
        expect(row.locator(".phase")).to_have_text(re.compile("generating|submitting"))
        snap(page, "jobs-running")
        row.get_by_role("button", name=f"Cancel job {job.id}").click()
        expect(row.locator(".state")).to_have_text("canceled")
        expect(row.get_by_role("button", name=f"Retry job {job.id}")).to_be_visible()
        assert job_now(live, job.id).status == "canceled"
    finally:
        live.sim.latency = 1.0
