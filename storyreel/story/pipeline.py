"""The story pipeline as one parent workflow: panels -> clips -> assembly -> exports,
pipelined per shot.

The parent creates every panel job in one transaction and starts one child workflow per
shot, which enqueues its panel's generation job and, as soon as that panel is done, its
clip's (the provider queues' concurrency decides the parallelism; panels and clips on
different providers run at once). Assembly starts when the last clip lands. Job creation
reuses any finished or running job for the same request, so a re-run after a crash, or of
an unchanged story, buys nothing twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbos import DBOS, WorkflowHandleAsync
from dbos import error as dbos_errors

from storyreel.catalog import Catalog
from storyreel.engine import handover, jobs, waits
from storyreel.engine.blips import survives_db_blips
from storyreel.engine.pricing import estimate
from storyreel.engine.runtime import Runtime, runtime
from storyreel.engine.service import enqueue_job
from storyreel.engine.workflows import queue_name
from storyreel.errors import BudgetExceeded, FailureReason, StoryreelError
from storyreel.store.models import Shot

from .assembly import PART_WORKFLOW_NAME, assemble, clip_part, shot_durations
from .boards import contact_sheet, make_boards
from .consistency.candidates import best_panel, candidate_plan
from .consistency.stage import (
    Composer,
    create_sheet_jobs,
    record_sheet,
    score_identity,
    score_panel,
)
from .export import export_story
from .finishing import finish
from .narration import shot_notes
from .project import character_references, load_project, planned_shots, story_of
from .queue_order import clip_goes_early_now, priority
from .requests import bound_clip, bound_panel
from .sound_jobs import audio_assets, create_sound_jobs, fitted_shot_duration, shot_extras
from .unchanged import record_run_state

WORKFLOW_NAME = "storyreel.story"
SHOT_WORKFLOW_NAME = "storyreel.story.shot"
SHEETS_WORKFLOW_NAME = "storyreel.story.sheets"
PANELS_WORKFLOW_NAME = "storyreel.story.panels"


class StoryRunError(StoryreelError):
    """A shot's generation failed, so the story cannot be finished as asked."""


@DBOS.step(name="storyreel.story.panel_jobs")
@survives_db_blips
async def create_panel_jobs(project_id: str) -> list[dict[str, Any]]:
    """Every shot's panel job, created (or reused) and linked in one transaction."""
    rt = runtime()
    project = await load_project(rt, project_id)
    story = story_of(project)
    refs = character_references(project)
    catalog = Catalog.load(rt.settings)
    plans = planned_shots(project)
    composer = Composer(rt)
    reqs = [
        bound_panel(
            catalog,
            story,
            plans[shot.number],
            refs,
            compose=composer.compose,
            mask=composer.mask,
        )
        for shot in project.shots
    ]
    async with rt.db.session() as session:
        await composer.add_rows(session)
        made = await jobs.create_jobs_in(
            session, [(req, estimate(rt.settings, req)) for req in reqs], project_id=project_id
        )
        for shot, (job, _) in zip(project.shots, made, strict=True):
            linked = await session.get(Shot, shot.id)
            assert linked is not None
            linked.panel_job_id = job.id
    return [
        {"shot": shot.number, "shot_id": shot.id, "job_id": job.id, "provider": job.provider}
        for shot, (job, _) in zip(project.shots, made, strict=True)
    ]


@DBOS.step(name="storyreel.story.clip_job")
@survives_db_blips
async def create_clip_job(
    project_id: str,
    shot_number: int,
    panel_sha256: str,
    last_panel_sha256: str | None = None,
    duration: float | None = None,
    panel_job_id: str | None = None,
) -> dict[str, Any]:
    """One shot's clip job, made as soon as its own panel exists (and, for a shot that
    ends on the next one's panel, that panel too; ``duration``: a shot fitted to its line),
    and whether it goes ahead of the panels in its queue (``queue_order``; ``panel_job_id``:
    the panel whose slot waits for it), decided here so a replay queues it the same way."""
    rt = runtime()
    project = await load_project(rt, project_id)
    story = story_of(project)
    catalog = Catalog.load(rt.settings)
    shot = next(s for s in project.shots if s.number == shot_number)
    req = bound_clip(
        catalog,
        story,
        planned_shots(project)[shot_number],
        panel_sha256=panel_sha256,
        last_panel_sha256=last_panel_sha256,
        duration=duration,
    )
    if panel_job_id is not None:
        handover.withdraw_unless_on(panel_job_id, queue_name(req.provider))
    async with rt.db.session() as session:
        ((job, _),) = await jobs.create_jobs_in(
            session, [(req, estimate(rt.settings, req))], project_id=project_id
        )
        linked = await session.get(Shot, shot.id)
        assert linked is not None
        linked.clip_job_id = job.id
    early = await clip_goes_early_now(rt, job, panel_job_id=panel_job_id)
    return {
        "shot": shot.number,
        "shot_id": shot.id,
        "job_id": job.id,
        "provider": job.provider,
        "early": early,
    }


async def _link(rt: Runtime, shot_id: str, **job_ids: str) -> None:
    async with rt.db.session() as session:
        shot = await session.get(Shot, shot_id)
        for key, value in job_ids.items():
            setattr(shot, key, value)


@DBOS.step(name="storyreel.story.ends_on_next")
@survives_db_blips
async def shots_ending_on_next(project_id: str) -> list[int]:
    """The shots that animate into the next shot's panel (first-last-frame clips)."""
    story = story_of(await load_project(runtime(), project_id))
    return sorted(number for number, notes in shot_notes(story).items() if notes.end_on_next)


@DBOS.step(name="storyreel.story.export")
@survives_db_blips
async def export(project_id: str, out_dir: str, outputs: dict[str, Any]) -> dict[str, Any]:
    rt = runtime()
    return await export_story(rt, project_id, Path(out_dir), outputs)


async def _run_child(child: dict[str, Any], what: str) -> str:
    """Enqueue one generation job, wait for it (no polling: ``waits``), and return its
    first output's sha; a failed job raises ``StoryRunError`` or ``BudgetExceeded``."""
    return await _child_output(child, what, await _start_child(child, what))


async def _start_child(child: dict[str, Any], what: str) -> WorkflowHandleAsync[dict[str, Any]]:
    shot = child.get("shot")  # a sheet's is its character's name: rank alone
    if child.get("early"):
        what = "early_clip"
    return await enqueue_job(
        child["job_id"],
        child["provider"],
        priority=priority(what, shot if isinstance(shot, int) else 0),
    )


async def _child_output(
    child: dict[str, Any], what: str, handle: WorkflowHandleAsync[dict[str, Any]]
) -> str:
    try:
        result: dict[str, Any] = await waits.result(handle)
    except dbos_errors.DBOSAwaitedWorkflowCancelledError:
        result = {"status": "canceled", "error": "canceled by user"}
    if result.get("reason") == FailureReason.BUDGET.value:
        raise BudgetExceeded(f"shot {child['shot']}: {result['error']}")
    if result["status"] != "succeeded":
        raise StoryRunError(
            f"shot {child['shot']}: {what} job {child['job_id']} {result['status']}: "
            f"{result.get('error') or 'no error message'}"
        )
    if result.get("job_id") not in (None, child["job_id"]) and "shot_id" in child:
        # The job failed over to another model: the shot now points at the one that
        # made its output.
        column = "panel_job_id" if what == "panel" else "clip_job_id"
        await relink_shot(child["shot_id"], column, result["job_id"])
    return str(result["outputs"][0])


@DBOS.workflow(name=SHOT_WORKFLOW_NAME)
async def shot_workflow(
    project_id: str, panel: dict[str, Any], extras: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One shot: its panel, then at once its clip job, enqueued but not awaited (the parent
    awaits it: ``shot_clip``), and, while the clip generates, the panel's identity search.
    So the parent has every panel, and can score the story and draw its boards, while
    clips are still generating. Each shot is its own child workflow so shots advance
    independently (and replay deterministically): a clip never waits for another shot's
    panel, except the next one's when it ends on it (``extras["next_panel"]``), nor for
    narration, except its own line when shots fit their lines (``extras["voice"]``). An
    expected stop is returned as ``{"stopped": ...}``."""
    waits.notify_when_done()
    extras = extras or {}
    duration: float | None = None
    panel_job = panel["job_id"]

    async def run_candidate(child: dict[str, Any], what: str) -> str:
        handover.withdraw(panel_job)  # another candidate comes before the clip
        return await _run_child(child, what)

    if "next_panel" not in extras and "voice" not in extras:
        handover.offer(panel_job)  # the clip follows its panel at once: it takes the slot
    try:
        panel_sha = await best_panel(
            project_id, panel, await _run_child(panel, "panel"), run_candidate
        )
        last_sha = None
        if "next_panel" in extras:
            last_sha = await _next_panel(project_id, extras)
        if "voice" in extras:
            voice_sha = await _run_child(extras["voice"], "narration")
            duration = await fitted_shot_duration(project_id, panel["shot"], voice_sha)
        clip = await create_clip_job(
            project_id, panel["shot"], panel_sha, last_sha, duration, panel_job
        )
        handover.release(panel_job)  # the clip's enqueue wakes the queue for the slot
        await _start_child(clip, "clip")
    except (StoryRunError, BudgetExceeded) as exc:
        return {"stopped": {"kind": type(exc).__name__, "message": exc.message}}
    finally:
        handover.withdraw(panel_job)
    await handover.settled()  # queue every clip whose panel holds a slot before scoring
    found = await score_panel(project_id, panel["shot"], panel_sha)
    return {"panel": panel_sha, "found": found, "clip_job": clip, "duration": duration}


async def shot_clip(shot: dict[str, Any]) -> str:
    """The clip of a shot ``shot_workflow`` returned: its job awaited (a failed one raises
    ``StoryRunError`` or ``BudgetExceeded``)."""
    child = shot["clip_job"]
    handle: WorkflowHandleAsync[dict[str, Any]] = await DBOS.retrieve_workflow_async(
        child["job_id"]
    )
    return await _child_output(child, "clip", handle)


async def _next_panel(project_id: str, extras: dict[str, Any]) -> str:
    """The panel the next shot *uses*, which this shot's clip ends on. With one candidate
    that is the next shot's panel job, awaited directly; with candidates (or a threshold)
    only the next shot's workflow knows which one it picked, so its result is awaited
    (``extras["next_shot"]``, its workflow id) rather than animating into candidate 1."""
    child = extras["next_panel"]
    plan = await candidate_plan(project_id, child["shot"])
    if (plan["count"] <= 1 and plan["min"] is None) or "next_shot" not in extras:
        return await _run_child(child, "panel")
    handle: WorkflowHandleAsync[dict[str, Any]] = await DBOS.retrieve_workflow_async(
        extras["next_shot"]
    )
    ended = await waits.result(handle)
    if "panel" not in ended:
        raise StoryRunError(
            f"shot {child['shot'] - 1} ends on shot {child['shot']}, which stopped: "
            f"{ended.get('stopped', {}).get('message', 'no panel')}"
        )
    return str(ended["panel"])


@DBOS.step(name="storyreel.story.relink")
@survives_db_blips
async def relink_shot(shot_id: str, column: str, job_id: str) -> None:
    await _link(runtime(), shot_id, **{column: job_id})


async def draw_sheets(project_id: str) -> dict[str, Any] | None:
    """Every character sheet the story needs, before any panel (the panels reference
    them); ``{"stopped": ...}`` when one could not be drawn."""
    for child in await create_sheet_jobs(project_id):
        try:
            sha = await _run_child(child, "sheet")
        except (StoryRunError, BudgetExceeded) as exc:
            return {"stopped": {"kind": type(exc).__name__, "message": exc.message}}
        await record_sheet(project_id, child["character"], sha)
    return None


@DBOS.workflow(name=SHEETS_WORKFLOW_NAME)
async def sheets_workflow(project_id: str) -> dict[str, Any]:
    """Only the character sheets (``storyreel story characters``)."""
    waits.notify_when_done()
    return await draw_sheets(project_id) or {}


@DBOS.workflow(name=WORKFLOW_NAME)
async def story_workflow(project_id: str, out_dir: str) -> dict[str, Any]:
    """The run's manifest, or ``{"stopped": {"kind", "message"}}`` when a shot could not be
    made (a failed job, a budget reached): an expected end, reported as data rather than
    raised, so it reaches the user as one line and not as a logged workflow traceback.

    Every panel job is created in one transaction, then each shot runs as a child
    workflow (panel, then its clip); assembly starts when the last shot's clip lands. A
    shot that stops does not stop the others (their jobs are reused by the next run); the
    first stop, in shot order, is reported once all have ended."""
    waits.notify_when_done()
    if (stopped := await draw_sheets(project_id)) is not None:
        return stopped
    panel_jobs = await create_panel_jobs(project_id)
    sound = await create_sound_jobs(project_id)
    extras = shot_extras(panel_jobs, sound, await shots_ending_on_next(project_id))
    # Started last shot first, so a shot that ends on the next one knows that shot's
    # workflow (its picked panel is that workflow's result).
    started: list[WorkflowHandleAsync[dict[str, Any]]] = []
    for p, e in reversed(list(zip(panel_jobs, extras, strict=True))):
        if "next_panel" in e and started:
            e = e | {"next_shot": started[-1].workflow_id}
        started.append(await DBOS.start_workflow_async(shot_workflow, project_id, p, e))
    handles = started[::-1]
    numbers = [p["shot"] for p in panel_jobs]
    # What needs only panels is made as soon as every panel is in, beside the clips.
    early_handle: WorkflowHandleAsync[dict[str, Any] | None] = await DBOS.start_workflow_async(
        panels_workflow, project_id, [h.workflow_id for h in handles], numbers
    )
    made = await clips_and_parts(project_id, numbers, handles)
    if "stopped" in made:
        await waits.result(early_handle)
        return made
    shots = made["shots"]
    panels = {str(n): str(s.get("panel")) for n, s in zip(numbers, shots, strict=True)}
    try:
        spoken = [await _run_child(line, "narration") for line in sound["lines"]]
        music = [await _run_child(sound["music"], "music")] if sound["music"] else []
    except (StoryRunError, BudgetExceeded) as exc:
        await waits.result(early_handle)
        return {"stopped": {"kind": type(exc).__name__, "message": exc.message}}
    clips = {str(n): clip for n, clip in zip(numbers, made["clips"], strict=True)}
    fitted = [s.get("duration") for s in shots]
    video = await assemble(project_id, [clips[k] for k in sorted(clips, key=int)], fitted)
    early = await waits.result(early_handle)
    assert early is not None
    audio = await audio_assets(spoken + music)
    lines = [
        entry | {"line": child["line"], "job_id": child["job_id"]}
        for child, entry in zip(sound["lines"], audio, strict=False)
    ]
    finished = await finish(
        project_id,
        video,
        {
            "lines": lines,
            "music": audio[-1] if music else None,
            "durations": await shot_durations(project_id, fitted),
        },
    )
    outputs = {
        "panels": panels,
        "clips": clips,
        "video": finished["video"],
        "silent_video": video,
        "contact_sheet": early["sheet"],
        "sound": finished | {"lines": lines, "music": sound["music"]},
        "boards": early["boards"],
        "consistency": early["identity"],
    }
    manifest = await export(project_id, out_dir, outputs)
    await record_run_state(project_id, out_dir)
    return manifest


async def clips_and_parts(
    project_id: str, numbers: list[int], handles: list[WorkflowHandleAsync[dict[str, Any]]]
) -> dict[str, Any]:
    """Every shot's part of the video started at once (``part_workflow``: each is encoded
    the moment its clip and the next shot's are in, in whatever order clips land), then
    every shot's workflow and clip awaited in shot order. Returns ``{"clips": [...],
    "shots": [...]}`` (the shot workflows' results) once the parts are made, or the first
    stop in shot order once every shot's clip has ended (a stopped shot does not stop the
    others: their jobs, and the parts already made, are reused by the next run)."""
    ids = [handle.workflow_id for handle in handles]
    parts = [
        await DBOS.start_workflow_async(
            part_workflow, project_id, number, own, ids[at + 1] if at + 1 < len(ids) else None
        )
        for at, (number, own) in enumerate(zip(numbers, ids, strict=True))
    ]
    clips: list[str | None] = []
    stops: list[dict[str, Any]] = []
    shots: list[dict[str, Any]] = []
    for handle in handles:
        shot = await waits.result(handle)
        shots.append(shot)
        clip, stop = await _landed_clip(shot)
        clips.append(clip)
        if stop is not None:
            stops.append(stop)
    for part in parts:
        await waits.result(part)
    if stops:
        return stops[0]
    return {"clips": [clip for clip in clips if clip is not None], "shots": shots}


@DBOS.workflow(name=PART_WORKFLOW_NAME)
async def part_workflow(
    project_id: str, shot_number: int, shot_workflow_id: str, next_shot_workflow_id: str | None
) -> None:
    """One shot's part of the video (``assembly.clip_part``), encoded as soon as its clip
    and the next shot's clip (whose first frame its crossfade reads) are in, whichever
    lands last. A child workflow of the story's, so parts are made while the parent still
    waits for earlier clips: awaited in shot order, a late first clip held every later
    part back, and they were all encoded after the last clip landed. Nothing to make when
    either shot stopped (the parent reports it)."""
    waits.notify_when_done()
    shot = await _shot_result(shot_workflow_id)
    clip, _ = await _landed_clip(shot)
    if clip is None:
        return
    following = None
    if next_shot_workflow_id is not None:
        following, _ = await _landed_clip(await _shot_result(next_shot_workflow_id))
        if following is None:
            return
    await clip_part(project_id, shot_number, clip, following, shot["duration"])


async def _shot_result(shot_workflow_id: str) -> dict[str, Any]:
    handle: WorkflowHandleAsync[dict[str, Any]] = await DBOS.retrieve_workflow_async(
        shot_workflow_id
    )
    return await waits.result(handle)


async def _landed_clip(shot: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """A shot's clip once it is in, or (None and) the stop that ended the shot instead."""
    if "stopped" in shot:
        return None, shot
    try:
        return await shot_clip(shot), None
    except (StoryRunError, BudgetExceeded) as exc:
        return None, {"stopped": {"kind": type(exc).__name__, "message": exc.message}}


@DBOS.workflow(name=PANELS_WORKFLOW_NAME)
async def panels_workflow(
    project_id: str, shot_workflow_ids: list[str], numbers: list[int]
) -> dict[str, Any] | None:
    """The identity scores, contact sheet and boards, made once every shot has its panel
    (None if a shot stopped). A child workflow, so it runs beside the parent, which
    meanwhile awaits clips and starts the video's parts, without their steps interleaving
    (a replay takes the same path)."""
    waits.notify_when_done()
    shots = []
    for workflow_id in shot_workflow_ids:
        handle: WorkflowHandleAsync[dict[str, Any]] = await DBOS.retrieve_workflow_async(
            workflow_id
        )
        shots.append(await waits.result(handle))
    if any("stopped" in shot for shot in shots):
        return None
    panels = {str(n): str(shot["panel"]) for n, shot in zip(numbers, shots, strict=True)}
    found = {str(n): shot["found"] for n, shot in zip(numbers, shots, strict=True)}
    return await _panel_outputs(project_id, panels, found)


async def _panel_outputs(
    project_id: str, panels: dict[str, str], found: dict[str, dict[str, Any]] | None
) -> dict[str, Any]:
    """The identity scores, the contact sheet and the paper boards of these panels."""
    identity = await score_identity(project_id, panels, found)
    sheet = await contact_sheet(project_id, panels, identity)
    boards = await make_boards(project_id, panels)
    return {"panels": panels, "identity": identity, "sheet": sheet, "boards": boards}
