"""``storyreel story run|plan`` and ``storyreel demo``."""

from __future__ import annotations

import time
from decimal import Decimal
from functools import partial
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from storyreel.catalog.pricing import format_usd
from storyreel.story.variants import parse_shots

from . import loading
from .common import (
    EXIT_INPUT,
    JsonOption,
    console,
    emit_json,
    fail,
    guard,
    out_console,
    run,
    settings,
    usd_amount,
)
from .schemas import Failover, StoryRunSummary, VideoOut
from .story_plan import PlannerOption, plan_command

if TYPE_CHECKING:
    from storyreel.story.redo import Redo, Stage
    from storyreel.story.requests import StoryEstimate
    from storyreel.story.runner import RunOptions

app = typer.Typer(help="Plan and run stories.", no_args_is_help=True)

OutOption = Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")]
StoryArg = Annotated[Path, typer.Argument(help="Story file (YAML or JSON).")]
BudgetOption = Annotated[
    Decimal | None,
    typer.Option(
        "--budget",
        min=0,
        parser=usd_amount,
        help="Most this story may spend, USD, over all its runs (overrides the file's).",
    ),
]
ImageModelOption = Annotated[
    str | None, typer.Option("--image-model", help="Panel model, over render.image_model.")
]
VideoModelOption = Annotated[
    str | None,
    typer.Option("--video-model", help="Clip model for every shot, over the file's."),
]

app.command("plan")(plan_command)


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
    identity = manifest.get("consistency")
    if identity:
        console.print(f"  identity:      {identity_line(identity)}", highlight=False)
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


def identity_line(identity: dict[str, Any]) -> str:
    """'offline: cross 0.81 self 0.77 (Ines 0.85/0.80, Bo 0.78/0.74), 0 copies'."""

    def pair(scores: dict[str, Any]) -> str:
        cross, self_ = scores.get("cross"), scores.get("self")
        return "/".join("-" if v is None else f"{v:.2f}" for v in (cross, self_))

    story = identity["story"]
    each = ", ".join(f"{name} {pair(s)}" for name, s in identity["characters"].items())
    return (
        f"{identity['scorer']}: cross/self {pair(story)} ({each}), "
        f"{story['copies']} cop{'y' if story['copies'] == 1 else 'ies'}"
    )


def _announce(estimate: StoryEstimate, *, as_json: bool = False) -> None:
    total = estimate.total_usd
    shown = "unpriced" if total is None else format_usd(total)
    panels, clips, sheets = estimate.panels_usd, estimate.clips_usd, estimate.sheets_usd
    sound = estimate.sound_usd
    detail = (
        f" (panels {format_usd(panels)}, clips {format_usd(clips)}"
        + (f", sound {format_usd(sound)}" if sound else "")
        + ")"
        if panels is not None and clips is not None
        else ""
    )
    if detail and estimate.sheets and sheets is not None:
        detail = f" (character sheets {format_usd(sheets)}," + detail[2:]
    out_console(as_json).print(f"estimate: {shown}{detail}", highlight=False)


def run_with_progress(
    story_file: Path,
    out: Path,
    budget: Decimal | None = None,
    *,
    as_json: bool = False,
    options: RunOptions | None = None,
    force: Redo | None = None,
) -> None:
    """Run a story with the progress bars on stderr; the summary on stdout (as JSON with
    ``as_json``)."""
    with loading():  # imported on use: keeps `storyreel --help` fast
        from storyreel.story.runner import run_story

        from .progress import make_progress, watch_story

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
                options=options,
                force=force,
            )
        )
    seconds = time.perf_counter() - started
    if as_json:
        emit_json(summarize(manifest, out, seconds))
    else:
        _report(manifest, out, seconds)


@app.command("run")
def run_command(
    story_file: StoryArg,
    out: OutOption = Path("out/story"),
    budget: BudgetOption = None,
    image_model: ImageModelOption = None,
    video_model: VideoModelOption = None,
    planner: PlannerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate the storyboard, clips and video of a story file (its drafts, when it has
    render.draft_model)."""
    from storyreel.story.runner import RunOptions  # imported on use: keeps --help fast

    options = RunOptions(image_model=image_model, video_model=video_model, planner=planner)
    run_with_progress(story_file, out, budget, as_json=as_json, options=options)


@app.command("finalize")
def finalize_command(
    story_file: StoryArg,
    shots: Annotated[
        str | None, typer.Option("--shots", help="Shots to finalize, e.g. 1,3-5 (default all).")
    ] = None,
    out: OutOption = Path("out/story"),
    budget: BudgetOption = None,
    image_model: ImageModelOption = None,
    video_model: VideoModelOption = None,
    as_json: JsonOption = False,
) -> None:
    """Redraw the chosen shots on the final image model and animate only those; the
    other shots keep their drafts (reused, not bought again)."""
    from storyreel.story.runner import RunOptions  # imported on use: keeps --help fast

    with guard():
        chosen = None if shots is None else frozenset(parse_shots(shots))
    options = RunOptions(
        image_model=image_model, video_model=video_model, finalize=True, shots=chosen
    )
    run_with_progress(story_file, out, budget, as_json=as_json, options=options)


@app.command("redo")
def redo_command(
    story_file: StoryArg,
    shot: Annotated[int, typer.Option("--shot", min=1, help="The shot to make again.")],
    stage: Annotated[
        str | None,
        typer.Option("--stage", help="panel or clip (default: both).", show_default=False),
    ] = None,
    out: OutOption = Path("out/story"),
    budget: BudgetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make one shot's panel and/or clip again (a new take, paid again), then re-assemble;
    every later run uses the new take."""
    from storyreel.story.redo import Redo  # imported on use: keeps --help fast

    if stage not in (None, "panel", "clip"):
        fail(f"--stage must be panel or clip, got {stage!r}", EXIT_INPUT)
    chosen: Stage | None = "panel" if stage == "panel" else "clip" if stage == "clip" else None
    run_with_progress(story_file, out, budget, as_json=as_json, force=Redo(shot=shot, stage=chosen))


@app.command("pick")
def pick_command(
    story_file: StoryArg,
    shot: Annotated[int, typer.Option("--shot", min=1, help="The shot.")],
    candidate: Annotated[int, typer.Option("--candidate", min=1, help="Its candidate (1..N).")],
    out: OutOption = Path("out/story"),
    budget: BudgetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Use another of a shot's candidate panels (render.candidates): only that shot is
    animated again; the choice holds on every later run."""
    from storyreel.story.consistency.candidates import set_pick

    run(set_pick(settings(), story_file, shot, candidate))
    run_with_progress(story_file, out, budget, as_json=as_json)


@app.command("characters")
def characters_command(
    story_file: StoryArg,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the character images.")
    ] = Path("out/characters"),
    budget: BudgetOption = None,
) -> None:
    """Draw (or show) the character sheets alone, to approve them before any panel is
    paid for; a later ``story run`` reuses them."""
    from storyreel.story.consistency.characters import draw_characters

    shown = run(draw_characters(settings(), story_file, out, budget_usd=budget))
    for character in shown:
        console.print(
            f"{character['name']}: {character['source']} {character['file']}",
            highlight=False,
            soft_wrap=True,
        )
    if not shown:
        console.print("no character has a reference or a sheet (sheets: off, or a text-only model)")


def demo(out: OutOption = Path("out/demo"), as_json: JsonOption = False) -> None:
    """Run the bundled example story end to end, offline."""
    example = files("storyreel.examples").joinpath("lighthouse.yaml")
    with as_file(example) as story_file:
        out_console(as_json).print(f"[bold]storyreel demo[/]: {story_file.name} -> {out}")
        run_with_progress(story_file, out, as_json=as_json)
