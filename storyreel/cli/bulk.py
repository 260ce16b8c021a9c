"""``storyreel bulk``: seed 004's bulk generation, every image of a folder times every
prompt of a file (or one to one), as image-to-video jobs, downloaded with seed 004's names
and an ``index.csv``. Running the same command again resumes the same bulk."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from storyreel.bulk import DEFAULT_MODEL
from storyreel.catalog.pricing import format_usd

from .common import (
    EXIT_BUDGET,
    EXIT_FAILURE,
    JsonOption,
    emit_json,
    err_console,
    fail,
    guard,
    out_console,
    register_workflows,
    run,
    settings,
    usd_amount,
)
from .schemas import BulkRunSummary

if TYPE_CHECKING:
    from storyreel.bulk.plan import BulkPlan
    from storyreel.bulk.rows import CreatedBulk
    from storyreel.bulk.run import BulkOutcome, BulkStatus

SHOWN_ROWS = 100


def _money(value: Decimal | None) -> str:
    return "unpriced" if value is None else format_usd(value)


def _headline(plan: BulkPlan) -> str:
    shape = (
        f"{len(plan.images)} images + {len(plan.prompts)} prompts, one to one"
        if plan.one_to_one
        else f"{len(plan.images)} images x {len(plan.prompts)} prompts"
    )
    facts = ", ".join(
        part
        for part in (
            plan.resolution,
            None if plan.duration is None else f"{plan.duration:g} s",
        )
        if part
    )
    return (
        f"{shape} = {plan.job_count} videos on {plan.model}"
        f"{f' ({facts})' if facts else ''}: estimate {_money(plan.total_usd)}"
    )


def _print_matrix(plan: BulkPlan, as_json: bool) -> None:
    from storyreel.services.bulk import plan_out  # imported on use: keeps --help fast

    if as_json:
        emit_json(plan_out(plan))
        return
    console = out_console(False)
    table = Table(title=f"{plan.title} (dry run: nothing submitted)")
    for column in ("#", "image", "prompt #", "prompt", "estimate"):
        table.add_column(column, justify="right" if column in ("#", "estimate") else "left")
    for p in plan.items[:SHOWN_ROWS]:
        prompt = p.item.prompt if len(p.item.prompt) <= 60 else p.item.prompt[:57] + "..."
        table.add_row(
            str(p.item.position + 1),
            p.item.image.name,
            str(p.item.prompt_number),
            prompt,
            _money(p.estimate_usd),
        )
    console.print(table)
    if len(plan.items) > SHOWN_ROWS:
        console.print(f"... and {len(plan.items) - SHOWN_ROWS} more (--json lists every one)")
    console.print(_headline(plan), highlight=False)


class _Bar:
    """The bulk's progress on stderr: finished jobs of all, by state, and money spent."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[states]}"),
            console=err_console,
        )
        self.task = self.progress.add_task("bulk", total=None, states="")

    def update(self, status: BulkStatus) -> None:
        states = ", ".join(f"{n} {s}" for s, n in sorted(status.states.items()))
        self.progress.update(
            self.task,
            total=status.jobs,
            completed=status.finished,
            states=f"{states}; spent {format_usd(status.spent_usd)}",
        )


def _summary(plan: BulkPlan, outcome: BulkOutcome) -> BulkRunSummary:
    return BulkRunSummary(
        bulk_id=outcome.created.bulk_id,
        key=plan.key,
        jobs=len(outcome.created.jobs),
        created=outcome.created.created,
        reused=outcome.created.reused,
        states=outcome.status.states,
        spent_usd=outcome.status.spent_usd,
        out_dir=outcome.export.out_dir,
        index=outcome.export.index,
        files=outcome.export.files,
        failed=[{"job_id": job_id, "error": error} for job_id, error in outcome.failed],
    )


def bulk(
    prompts_file: Annotated[
        Path, typer.Argument(help="Prompts, separated by '---' lines or blank lines.")
    ],
    images_dir: Annotated[
        Path, typer.Option("--images-dir", "-i", help="Folder of images (png, jpg, webp).")
    ],
    one_to_one: Annotated[
        bool,
        typer.Option("--one-to-one", help="Pair the n-th image with the n-th prompt."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the matrix and its cost; submit nothing.")
    ] = False,
    model: Annotated[
        str, typer.Option("--model", "-m", help="Image-to-video model id or alias.")
    ] = DEFAULT_MODEL,
    resolution: Annotated[
        str | None, typer.Option(help="e.g. 720p (default: the model's).")
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(min=0.5, max=120, help="Clip length, seconds (default: the model's)."),
    ] = None,
    budget: Annotated[
        Decimal | None,
        typer.Option(
            "--budget",
            help="Cap on this bulk's spend in USD: refused up front if the estimate passes "
            "it, and no job is submitted past it.",
            parser=usd_amount,
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Downloads folder (videos and index.csv).")
    ] = Path("downloads"),
    as_json: JsonOption = False,
) -> None:
    """Generate a video for every image x prompt (seed 004 bulk generation); run the same
    command again to resume it."""
    # imported on use: keeps `storyreel --help` fast
    from storyreel.bulk.plan import BulkOptions, load_plan
    from storyreel.bulk.run import run_bulk

    cfg = settings()
    options = BulkOptions(
        model=model, resolution=resolution, duration=duration, one_to_one=one_to_one
    )
    with guard():
        plan = load_plan(cfg, prompts_file, images_dir, options)
    if dry_run:
        _print_matrix(plan, as_json)
        return
    out_console(as_json).print(_headline(plan), highlight=False)
    bar = _Bar()
    register_workflows()

    def created(made: CreatedBulk) -> None:
        reused = f", {made.reused} from an earlier run" if made.reused else ""
        err_console.print(f"bulk {made.bulk_id}: {len(made.jobs)} jobs{reused}", highlight=False)
        bar.progress.start()

    try:
        outcome = run(
            run_bulk(cfg, plan, out, budget_usd=budget, on_created=created, on_progress=bar.update)
        )
    finally:
        bar.progress.stop()
    report = _summary(plan, outcome)
    if as_json:
        emit_json(report)
    else:
        for path in outcome.export.files:
            out_console(False).print(f"  {path}", highlight=False)
        out_console(False).print(
            f"{len(outcome.export.files)} videos and {outcome.export.index} "
            f"(spent {format_usd(outcome.status.spent_usd)})",
            highlight=False,
        )
    if outcome.failed:
        first_id, first_error = outcome.failed[0]
        fail(
            f"{len(outcome.failed)} of {len(outcome.created.jobs)} jobs did not finish "
            f"(first: {first_id}: {first_error}); index.csv lists them; run the same command "
            "again to retry them",
            code=EXIT_BUDGET if outcome.budget_stopped else EXIT_FAILURE,
        )
