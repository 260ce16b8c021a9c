"""``storyreel story plan``: the shots, their models, what a run would redo, and the price."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from storyreel.catalog.pricing import format_usd

from .common import JsonOption, console, emit_json, guard, hint, run, settings
from .schemas import PlannedShotOut, StageCosts, StoryPlan

if TYPE_CHECKING:
    from storyreel.story.preview import Preview

PlannerOption = Annotated[
    str | None,
    typer.Option(
        "--planner",
        help="'rules' (offline) or a chat model (gpt-4o, openai:gpt-4o-mini, ...); "
        "default: the file's plan.planner.",
    ),
]


def _to_redo(view: Preview) -> Decimal | None:
    if view.redo is None:
        return None
    redo = {s.number: s for s in view.redo.shots}
    total = Decimal(0)
    for cost in view.estimate.shots:
        work = redo[cost.number]
        for needed, usd in ((work.panel, cost.panel_usd), (work.clip, cost.clip_usd)):
            if needed:
                if usd is None:
                    return None
                total += usd
    return total


def _costs(view: Preview) -> StageCosts:
    est, planner = view.estimate, view.planned.cost_usd
    total = est.total_usd
    return StageCosts(
        planner=planner,
        panels=est.panels_usd,
        clips=est.clips_usd,
        sound=est.sound_usd,
        total=None if total is None or planner is None else total + planner,
        to_redo=_to_redo(view),
    )


def plan_of(view: Preview, *, with_estimate: bool, written: Path | None) -> StoryPlan:
    from storyreel.story.requests import video_model_of  # imported on use: keeps --help fast

    billed = {cost.number: cost for cost in view.estimate.shots}
    redo = {s.number: s for s in view.redo.shots} if view.redo else {}
    shots = []
    for shot in view.shots:
        cost = billed.get(shot.number)
        work = redo.get(shot.number)
        shots.append(
            PlannedShotOut(
                number=shot.number,
                beat=shot.beat,
                characters=list(shot.characters),
                setting=shot.setting,
                camera=shot.camera,
                motion=shot.motion,
                duration=shot.duration,
                clip_seconds=cost.billed_seconds if cost else None,
                action=shot.action,
                video_role=shot.video_role,
                image_model=cost.panel_model if cost else shot.image_model,
                video_model=cost.clip_model if cost else video_model_of(view.story, shot),
                redo=None
                if work is None
                else [name for name, on in (("panel", work.panel), ("clip", work.clip)) if on],
            )
        )
    return StoryPlan(
        title=view.story.title,
        shots=shots,
        planner=view.planned.planner,
        assembly_redo=None if view.redo is None else view.redo.assembly,
        estimate=_costs(view) if with_estimate else None,
        written=written,
    )


def _usd(value: Decimal | None) -> str:
    return "unpriced" if value is None else format_usd(value)


def _print(plan: StoryPlan, view: Preview) -> None:
    table = Table(title=f"{plan.title} (planner: {plan.planner})")
    for column in ("#", "beat", "characters", "s", "clip", "role", "redo"):
        # fold, never an ellipsis: a character name cut short is a different name
        table.add_column(column, overflow="fold")
    # The shot gets what width is left: its action, then its setting, camera and motion
    # on a second, dim line (eleven columns folded an 80-column terminal into shreds).
    table.add_column("shot", overflow="fold", ratio=1)
    for shot in plan.shots:
        details = " · ".join(part for part in (shot.setting, shot.camera, shot.motion) if part)
        table.add_row(
            str(shot.number),
            str(shot.beat),
            ", ".join(shot.characters),
            f"{shot.duration:g}",
            "" if shot.clip_seconds is None else f"{shot.clip_seconds:g}",
            shot.video_role or "",
            "?" if shot.redo is None else ("+".join(shot.redo) or "-"),
            Text(shot.action) + Text("\n" + details, style="dim") if details else shot.action,
        )
    console.print(table)
    if view.redo is not None:
        if view.redo.nothing:
            console.print("a run would redo nothing: every panel, clip and the video are made")
        else:
            panels = ", ".join(map(str, view.redo.panels)) or "none"
            clips = ", ".join(map(str, view.redo.clips)) or "none"
            video = "yes" if view.redo.assembly else "no"
            console.print(
                f"a run would make: panels {panels}; clips {clips}; assembly {video}",
                highlight=False,
            )
    for error in view.estimate.errors:
        console.print(f"[yellow]cannot run[/]: {error}", highlight=False)
    if plan.estimate is not None:
        est = plan.estimate
        console.print(
            f"estimate: planner {_usd(est.planner)}, panels {_usd(est.panels)}, clips "
            f"{_usd(est.clips)}, total {_usd(est.total)}; a run now would spend "
            f"{_usd(est.to_redo)}",
            highlight=False,
        )
    if plan.written is not None:
        console.print(f"plan written to {plan.written}", highlight=False, soft_wrap=True)
    if any(s.clip_seconds not in (None, s.duration) for s in plan.shots):
        hint(
            "clip s: the length the video model makes and bills; the video trims each "
            "clip back to the shot's length"
        )


def plan_command(
    story_file: Annotated[Path, typer.Argument(help="Story file (YAML or JSON).")],
    planner: PlannerOption = None,
    write: Annotated[
        Path | None,
        typer.Option("--write", help="Write the plan as a story file with explicit beats."),
    ] = None,
    estimate: Annotated[
        bool, typer.Option("--estimate", help="Price each stage (planner, panels, clips).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Show the shots a story would be split into and what a run would redo, without
    generating anything (an LLM planner's chat jobs excepted)."""
    # imported on use: keeps `storyreel --help` fast
    from storyreel.story.preview import preview_story, write_plan
    from storyreel.story.runner import RunOptions

    cfg = settings()
    view = run(preview_story(cfg, story_file, RunOptions(planner=planner)))
    if write is not None:
        with guard():
            write_plan(story_file, view.planned.story, write)
    plan = plan_of(view, with_estimate=estimate, written=write)
    if as_json:
        emit_json(plan)
    else:
        _print(plan, view)
