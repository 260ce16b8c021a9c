"""The studio's edit path in a real browser: one shot's action edited in the plan table,
and the next run makes exactly that shot's panel and clip again.

In a module of its own, so its live server (module-scoped) holds this demo story only.
Two things on the page lag the run's end and are waited for, never read at once: after
"Run again", the previous run's panel (succeeded, 9 panels and 9 clips) stays until the
POST's answer replaces it, and the plan keeps the pre-run "would redo" (shot 4:
panel+clip) until the end of the run triggers its refresh. Read at once, on a loaded
machine, each made this test fail as if the run had made too little or left a shot
stale."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from storyreel.api.state import ApiState
from storyreel.services import stories
from storyreel.services.story_runs import run_progress
from storyreel.store.models import Job

from ..live import LiveServer


async def _job_counts(state: ApiState) -> tuple[int, int]:
    async with state.rt.db.session() as session:
        rows = await session.execute(select(Job.task, func.count()).group_by(Job.task))
        counts = dict(rows.tuples().all())
    videos = sum(n for task, n in counts.items() if task.endswith("video"))
    return sum(counts.values()) - videos, videos


async def _demo_run(state: ApiState) -> str:
    """The demo story, run through the services to its end; rendered small and short (as
    the storyboard's browser test does): the plan and what a rerun makes are the same, the
    two runs a fraction of the demo's."""
    data = Path(stories.__file__).parents[1].joinpath("examples", "lighthouse.yaml").read_bytes()
    raw = stories.parse_story_file(data, "lighthouse.yaml")
    raw["render"] |= {"width": 384, "height": 216, "fps": 8, "duration": 1.0}
    raw["render"]["transition_frames"] = 2
    story_id = stories.create_story(state.settings, raw, name="lighthouse.yaml")
    assert state.story_runs is not None
    state.story_runs.start(stories.story_folder(state.settings, story_id))
    await state.story_runs.tasks[story_id]
    return story_id


def test_edit_one_shot_and_see_only_it_regenerate(page: Page, live: LiveServer) -> None:
    story_id = live.call(_demo_run, timeout=300)
    before = live.call(_job_counts)
    page.goto(live.url(f"/ui/studio/{story_id}"))
    redo = page.locator("#plan td.redo")
    expect(redo).to_have_count(9)
    # the page is rendered after the run's end (awaited above): nothing is left to land
    assert set(redo.evaluate_all("els => els.map(e => e.dataset.redo)")) == {""}

    action = page.get_by_label("Shot 4 action")
    action.fill("Tomas lights the lantern and waits by the great lens.")
    action.press("Tab")  # leaving the cell saves it
    expect(page.locator("#plan-shot-4 td.redo")).to_have_attribute("data-redo", "panel+clip")
    flags = redo.evaluate_all("els => els.map(e => e.dataset.redo)")
    assert flags == [""] * 3 + ["panel+clip"] + [""] * 5, flags
    expect(page.locator("#redo-summary")).to_contain_text("make 1 panel and 1 clip anew")

    page.get_by_role("button", name="Run again").click()
    # The previous run's panel reads "succeeded" too until the POST's answer replaces it:
    # wait for a succeeded panel that counts this run's work.
    ended = page.locator('#run-progress .run-live[data-state="succeeded"] #made')
    expect(ended).to_have_text(
        "This run made 1 panel and 1 clip; the other shots were reused.", timeout=180_000
    )
    expect(page.locator("video#story-video")).to_be_visible()
    after = live.call(_job_counts)
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1), (before, after)
    progress = live.call(lambda state: run_progress(state.settings, state.rt, story_id))
    assert progress["made"] == {"panels": 1, "clips": 1}
    # The plan shows shot 4 stale until the run's end refreshes it (shot 1 never was).
    expect(page.locator("#plan-shot-4 td.redo")).to_have_attribute("data-redo", "")
    assert set(redo.evaluate_all("els => els.map(e => e.dataset.redo)")) == {""}
