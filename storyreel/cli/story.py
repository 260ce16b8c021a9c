"""``storyreel story run|plan`` and ``storyreel demo``."""

from __future__ import annotations

import time
from decimal import Decimal
from functools import partial
from importlib.resources import as_file, files
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from storyreel.catalog import Catalog
from storyreel.catalog.pricing import format_usd
from storyreel.story.loader import load_story
from storyreel.story.planner import plan_story
from storyreel.story.requests import StoryEstimate, estimate_story
from storyreel.story.runner import run_story, story_references

from .common import (
    JsonOption,
    console,
    emit_json,
    guard,
    hint,
    out_console,
    run,
    settings,
    usd_amount,
)
from .progress import make_progress, watch_story
from .schemas import Failover, PlannedShotOut, StoryPlan, StoryRunSummary, VideoOut

app = typer.Typer(help="Plan and run stories.", no_args_is_help=True)

OutOption = Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")]


def summarize(manifest: dict[str, Any], out: Path, seconds: float) -> StoryRunSummary:
    """The final summary of a run, as ``story run --json`` prints it."""
    video = manifest["video"]
    root = out.resolve()
    return StoryRunSummary(
        title=manifest["title"],
        project_id=manifest["project_id"],
        panels=len(manifest["shots"]),
        seconds=round(seconds, 3),
        cost_usd=Decimal(str(manifest["cost_usd"])),
        video=VideoOut(
            path=root / video["file"],
            sha256=video["sha256"],
            frames=video["frames"],
            duration=video["duration"],
            width=video["width"],
            height=video["height"],
        ),
        contact_sheet=root / manifest["contact_sheet"]["file"],
        manifest=root / "manifest.json",
        failovers=[Failover(**switch) for switch in manifest.get("failovers", [])],
        possibly_billed_twice=list(manifest.get("possibly_billed_twice", [])),
    )


def _report(manifest: dict[str, Any], out: Path, seconds: float) -> None:
    video = manifest["video"]
    cost = format_usd(Decimal(str(manifest["cost_usd"])))
    console.print(
        f"[green]Done[/] in {seconds:.1f} s: {len(manifest['shots'])} panels, "
        f"{video['duration']:.2f} s video ({video['frames']} frames, "
        f"{video['width']}x{video['height']}), cost {cost}"
    )
    console.print(f"  video:         {out / video['file']}", highlight=False, soft_wrap=True)
    console.print(
        f"  contact sheet: {out / manifest['contact_sheet']['file']}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"  manifest:      {out / 'manifest.json'}", highlight=False, soft_wrap=True)
    for switch in manifest.get("failovers", []):
        console.print(
            f"  failover: {switch['from_model']} ({switch['reason']}) -> {switch['to_model']}",
            highlight=False,
        )
    doubles = manifest.get("possibly_billed_twice", [])
    if doubles:
        console.print(
            f"  [yellow]possibly billed twice[/]: {', '.join(doubles)} (a submit repeated "
            "after its answer was lost, on a provider with no lookup)",
            highlight=False,
        )


def _announce(estimate: StoryEstimate, *, as_json: bool = False) -> None:
    total = estimate.total_usd
    shown = "unpriced" if total is None else format_usd(total)
    panels, clips = estimate.panels_usd, estimate.clips_usd
    detail = (
        f" (panels {format_usd(panels)}, clips {format_usd(clips)})"
        if panels is not None and clips is not None
        else ""
    )
    out_console(as_json).print(f"estimate: {shown}{detail}", highlight=False)


def run_with_progress(
    story_file: Path, out: Path, budget: Decimal | None = None, *, as_json: bool = False
) -> None:
    """Run a story with the progress bars on stderr; the summary on stdout (as JSON with
    ``as_json``)."""
    started = time.perf_counter()
    progress = make_progress(out_console(as_json))
    with progress:
        manifest = run(
            run_story(
                settings(),
                story_file,
                out,
                watch=partial(watch_story, progress=progress),
                budget_usd=budget,
                announce=partial(_announce, as_json=as_json),
            )
        )
    seconds = time.perf_counter() - started
    if as_json:
        emit_json(summarize(manifest, out, seconds))
    else:
        _report(manifest, out, seconds)


@app.command("run")
def run_command(
    story_file: Annotated[Path, typer.Argument(help="Story file (YAML or JSON).")],
    out: OutOption = Path("out/story"),
    budget: Annotated[
        Decimal | None,
        typer.Option(
            "--budget",
            min=0,
            parser=usd_amount,
            help="Most this story may spend, USD, over all its runs (overrides the file's).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Generate the storyboard, clips and video of a story file."""
    run_with_progress(story_file, out, budget, as_json=as_json)


@app.command("plan")
def plan_command(
    story_file: Annotated[Path, typer.Argument(help="Story file (YAML or JSON).")],
    as_json: JsonOption = False,
) -> None:
    """Show the shots a story would be split into, without generating anything."""
    with guard():
        cfg = settings()
        loaded = load_story(
            story_file, max_image_bytes=cfg.max_upload_bytes, max_image_pixels=cfg.max_image_pixels
        )
        shots = plan_story(loaded.story)
        bound = estimate_story(Catalog.load(cfg), loaded.story, shots, story_references(loaded))
    billed = {cost.number: cost.billed_seconds for cost in bound.shots}
    plan = StoryPlan(
        title=loaded.story.title,
        shots=[
            PlannedShotOut(
                number=shot.number,
                beat=shot.beat,
                characters=list(shot.characters),
                setting=shot.setting,
                camera=shot.camera,
                motion=shot.motion,
                duration=shot.duration,
                clip_seconds=billed.get(shot.number),
                action=shot.action,
            )
            for shot in shots
        ],
    )
    if as_json:
        emit_json(plan)
        return
    table = Table(title=plan.title)
    columns = ("#", "beat", "characters", "setting", "camera", "motion", "s", "clip s", "action")
    for column in columns:
        # fold, never an ellipsis: a character name cut short is a different name
        table.add_column(column, overflow="fold")
    for shot in plan.shots:
        table.add_row(
            str(shot.number),
            str(shot.beat),
            ", ".join(shot.characters),
            shot.setting,
            shot.camera,
            shot.motion,
            f"{shot.duration:g}",
            "" if shot.clip_seconds is None else f"{shot.clip_seconds:g}",
            shot.action,
        )
    console.print(table)
    if any(s.clip_seconds not in (None, s.duration) for s in plan.shots):
        hint(
            "clip s: the length the video model makes and bills; the video trims each "
            "clip back to the shot's length"
        )


def demo(out: OutOption = Path("out/demo"), as_json: JsonOption = False) -> None:
    """Run the bundled example story end to end, offline."""
    example = files("storyreel.examples").joinpath("lighthouse.yaml")
    with as_file(example) as story_file:
        out_console(as_json).print(f"[bold]storyreel demo[/]: {story_file.name} -> {out}")
        run_with_progress(story_file, out, as_json=as_json)
