"""``storyreel models`` and ``storyreel cost estimate|compare``: know the price before buying.

Every number printed here comes from the catalog data (``storyreel/catalog/data`` plus the
user's ``catalog.toml``), so a price change is a data edit, and ``cost compare`` reproduces
seed 000's subscription analysis from the same prices the engine budgets with.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from storyreel.catalog import Catalog, ModelEntry, SubscriptionRule, price_inputs
from storyreel.catalog.pricing import compare_subscription, format_usd, seconds_key
from storyreel.errors import InputError
from storyreel.services.pay_per_use import DEFAULT_IMAGE_MODEL, DEFAULT_VIDEO_MODEL
from storyreel.vocabulary import GenerationRequest, Task

from .common import JsonOption, console, emit_json, guard, run, settings
from .schemas import (
    CompareRow,
    CostComparison,
    JobEstimate,
    Plan,
    ShotEstimate,
    SpendLine,
    SpendReport,
    StoryEstimateOut,
    UnitPrice,
)

if TYPE_CHECKING:
    from storyreel.engine.budget import SpendRow

cost_app = typer.Typer(
    help="Estimate what a job or a story costs, and compare pay-per-use with a plan.",
    no_args_is_help=True,
)

STANDARD_POINTS = (1, 5, 8, 10, 20)
"""Monthly volumes every comparison shows (seed 000's table has 1, 10 and 20)."""


def _catalog() -> Catalog:
    return Catalog.load(settings())


# -- cost estimate ------------------------------------------------------------------------


def _request(**fields: Any) -> GenerationRequest:
    try:
        return GenerationRequest(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise InputError(f"{where}: {message}" if where else message) from None


def _describe_job(entry: ModelEntry, req: GenerationRequest) -> str:
    facts = price_inputs(entry, req)
    kind = req.task.output_kind
    parts: list[str] = []
    if kind == "video":
        if facts.seconds is not None:
            parts.append(f"{seconds_key(facts.seconds)} s")
        if facts.resolution:
            parts.append(facts.resolution)
        parts.append(f"audio {'on' if facts.audio else 'off'}")
    elif kind == "image":
        parts.append(f"{facts.width}x{facts.height}")
        if facts.resolution:
            parts.append(facts.resolution)
        if entry.qualities:
            parts.append(f"quality {facts.quality or entry.default_quality}")
    elif kind == "text":
        parts.append("expected tokens" if facts.input_tokens is None else "given tokens")
    noun = {"video": "clip", "image": "image", "text": "reply", "audio": "file"}[kind]
    parts.append(f"{req.count} {noun}{'s' * (req.count != 1)}")
    return ", ".join(parts)


def _plan_note(entry: ModelEntry) -> str:
    if isinstance(entry.price, SubscriptionRule):
        plan = entry.price
        return (
            f" (covered by {entry.provider} plan {plan.plan}, {format_usd(plan.monthly_usd)}/month)"
        )
    return ""


def _estimate_one(
    model: str,
    *,
    task: Task | None,
    duration: float | None,
    resolution: str | None,
    audio: bool | None,
    count: int,
    width: int | None,
    height: int | None,
    quality: str | None,
) -> JobEstimate:
    catalog = _catalog()
    entry = catalog.resolve(model, task)
    req = _request(
        task=task or entry.tasks[0],
        model=entry.id,
        duration=duration,
        resolution=resolution,
        audio=audio,
        count=count,
        width=width,
        height=height,
        extra={"quality": quality} if quality else {},
    )
    catalog.validate_request(req)
    note = _plan_note(entry).strip()
    return JobEstimate(
        model=entry.id,
        aliases=list(entry.aliases),
        task=req.task,
        job=_describe_job(entry, req),
        price=entry.price.summary(),
        price_source=entry.price_source,
        estimate_usd=catalog.estimate(req),
        plan=note.removeprefix("(").removesuffix(")") or None,
    )


def _print_job_estimate(result: JobEstimate) -> None:
    aliases = f" (alias {', '.join(result.aliases)})" if result.aliases else ""
    plan = f" ({result.plan})" if result.plan else ""
    console.print(f"[bold]{result.model}[/]{aliases}  {result.task}", highlight=False)
    console.print(f"  job:      {result.job}", highlight=False)
    console.print(f"  price:    {result.price}", highlight=False)
    console.print(f"  source:   {result.price_source}", highlight=False)
    console.print(f"  estimate: [bold]{format_usd(result.estimate_usd)}[/]{plan}", highlight=False)


def _money(amount: Decimal | None) -> str:
    return "unpriced" if amount is None else format_usd(amount)


def _estimate_story(story_file: Path, as_json: bool) -> None:
    # imported on use: keeps `storyreel --help` fast
    from storyreel.story.loader import load_story
    from storyreel.story.planner import plan_story
    from storyreel.story.requests import estimate_story
    from storyreel.story.runner import story_references

    cfg = settings()
    loaded = load_story(
        story_file, max_image_bytes=cfg.max_upload_bytes, max_image_pixels=cfg.max_image_pixels
    )
    catalog = Catalog.load(cfg)
    estimate = estimate_story(
        catalog, loaded.story, plan_story(loaded.story), story_references(loaded)
    )
    estimate.raise_errors(loaded.source.name)
    if as_json:
        emit_json(
            StoryEstimateOut(
                title=loaded.story.title,
                shots=[
                    ShotEstimate(
                        number=shot.number,
                        planned_seconds=shot.planned_seconds,
                        billed_seconds=shot.billed_seconds,
                        panel_model=shot.panel_model,
                        clip_model=shot.clip_model,
                        panel_usd=shot.panel_usd,
                        clip_usd=shot.clip_usd,
                        total_usd=shot.total_usd,
                    )
                    for shot in estimate.shots
                ],
                panel_models=sorted({shot.panel_model for shot in estimate.shots}),
                clip_models=sorted({shot.clip_model for shot in estimate.shots}),
                panels_usd=estimate.panels_usd,
                clips_usd=estimate.clips_usd,
                sound_usd=estimate.sound_usd,
                sheets_usd=estimate.sheets_usd if estimate.sheets else None,
                total_usd=estimate.total_usd,
            )
        )
        return
    table = Table(title=f"{loaded.story.title}: cost estimate")
    for column in ("#", "shot s", "billed s", "panel", "clip", "shot total"):
        table.add_column(column, justify="right", overflow="fold")
    for shot in estimate.shots:
        billed = shot.billed_seconds
        table.add_row(
            str(shot.number),
            f"{shot.planned_seconds:g}",
            seconds_key(billed) if billed is not None else "",
            _money(shot.panel_usd),
            _money(shot.clip_usd),
            _money(shot.total_usd),
        )
    table.add_section()
    table.add_row(
        "all",
        "",
        "",
        _money(estimate.panels_usd),
        _money(estimate.clips_usd),
        f"[bold]{_money(estimate.total_usd)}",
    )
    models: dict[str, set[str]] = {"panels": set(), "clips": set()}
    for shot in estimate.shots:
        models["panels"].add(shot.panel_model)
        models["clips"].add(shot.clip_model)
    for stage, ids in models.items():
        for model_id in sorted(ids):
            price = catalog.resolve(model_id).price.summary() if model_id in catalog else "unpriced"
            console.print(f"{stage + ':':8}{model_id}  {price}", highlight=False)
    console.print(table)
    n = len(estimate.shots)
    sheets = f"character sheets {_money(estimate.sheets_usd)} + " if estimate.sheets else ""
    console.print(
        f"{sheets}panels {_money(estimate.panels_usd)} + clips {_money(estimate.clips_usd)}"
        + (f" + sound {_money(estimate.sound_usd)}" if estimate.sound_usd != 0 else "")
        + " = "
        f"total [bold]{_money(estimate.total_usd)}[/] for {n} panels and {n} clips",
        highlight=False,
    )
    for model_id in sorted(models["panels"] | models["clips"]):
        if model_id in catalog:
            note = _plan_note(catalog.resolve(model_id))
            if note:
                console.print(f"{model_id}:{note}", highlight=False)


@cost_app.command("estimate")
def estimate_command(
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model id or alias to price one job.")
    ] = None,
    story: Annotated[
        Path | None, typer.Option("--story", help="Price every panel and clip of a story file.")
    ] = None,
    task: Annotated[Task | None, typer.Option(help="Task (default: the model's first).")] = None,
    duration: Annotated[float | None, typer.Option(help="Clip length, seconds.")] = None,
    resolution: Annotated[str | None, typer.Option(help="e.g. 720p, 1080p, 4K.")] = None,
    audio: Annotated[
        bool | None, typer.Option("--audio/--no-audio", help="Default: the model's default.")
    ] = None,
    count: Annotated[int, typer.Option(min=1, max=16, help="Outputs in the job.")] = 1,
    width: Annotated[int | None, typer.Option(help="Output width, pixels.")] = None,
    height: Annotated[int | None, typer.Option(help="Output height, pixels.")] = None,
    quality: Annotated[str | None, typer.Option(help="low, medium or high (gpt-image).")] = None,
    as_json: JsonOption = False,
) -> None:
    """The price of one job (--model) or of a whole story (--story)."""
    with guard():
        if (model is None) == (story is None):
            raise InputError("give --model to price one job or --story to price a story")
        if story is not None:
            _estimate_story(story, as_json)
            return
        assert model is not None
        result = _estimate_one(
            model,
            task=task,
            duration=duration,
            resolution=resolution,
            audio=audio,
            count=count,
            width=width,
            height=height,
            quality=quality,
        )
    if as_json:
        emit_json(result)
    else:
        _print_job_estimate(result)


# -- cost compare -------------------------------------------------------------------------


@cost_app.command("compare")
def compare_command(
    stories_per_month: Annotated[
        int | None, typer.Option(min=0, help="Your monthly volume (added to the table).")
    ] = None,
    images_per_story: Annotated[int, typer.Option(min=0)] = 150,
    videos_per_story: Annotated[int, typer.Option(min=0)] = 100,
    image_model: Annotated[str, typer.Option(help="Pay-per-use image model.")] = (
        DEFAULT_IMAGE_MODEL
    ),
    video_model: Annotated[str, typer.Option(help="Pay-per-use video model.")] = (
        DEFAULT_VIDEO_MODEL
    ),
    subscription: Annotated[
        str, typer.Option(help="Provider (or model) whose monthly plan to compare.")
    ] = "modelslab",
    as_json: JsonOption = False,
) -> None:
    """Pay per use against a flat monthly plan (seed 000's analysis, from catalog prices)."""
    from storyreel.services.subscription import compare  # imported on use: keeps --help fast

    with guard():
        result = compare(
            _catalog(),
            stories_per_month=stories_per_month or 0,
            images_per_story=images_per_story,
            videos_per_story=videos_per_story,
            image_model=image_model,
            video_model=video_model,
            plan_names=[subscription],
        )
    image_entry, image_usd = result.image_model, result.image_usd
    video_entry, video_usd = result.video_model, result.video_usd
    per_story = result.per_story_usd
    chosen = result.verdicts[0]
    plan_provider, plan = chosen.provider, chosen.plan
    points = sorted(
        {*STANDARD_POINTS, *([stories_per_month] if stories_per_month is not None else [])}
    )
    rows = compare_subscription(per_story, plan.monthly_usd, points)
    even = chosen.break_even
    if as_json:
        emit_json(
            CostComparison(
                image=UnitPrice(
                    model=image_entry.id, unit_usd=image_usd, per_story=images_per_story
                ),
                video=UnitPrice(
                    model=video_entry.id, unit_usd=video_usd, per_story=videos_per_story
                ),
                per_story_usd=per_story,
                subscription=Plan(
                    provider=plan_provider,
                    plan=plan.plan,
                    monthly_usd=plan.monthly_usd,
                    included=plan.included,
                    concurrency=plan.concurrency,
                ),
                break_even_stories=None if even.is_infinite() else float(even),
                rows=[
                    CompareRow(
                        stories=row.stories,
                        pay_per_use_usd=row.pay_per_use_usd,
                        subscription_usd=row.subscription_usd,
                        cheaper=row.cheaper,
                        saving_usd=row.saving_usd,
                    )
                    for row in rows
                ],
            )
        )
        return
    console.print(
        f"pay per use:  {images_per_story} images x {format_usd(image_usd)} ({image_entry.id}) + "
        f"{videos_per_story} videos x {format_usd(video_usd)} ({video_entry.id}) = "
        f"[bold]{format_usd(per_story)}[/] per story",
        highlight=False,
    )
    parallel = f", {plan.concurrency} parallel" if plan.concurrency else ""
    console.print(
        f"subscription: {plan_provider} {plan.plan} [bold]{format_usd(plan.monthly_usd)}"
        f"[/] per month ({plan.included}{parallel})",
        highlight=False,
    )
    even_text = "never" if even.is_infinite() else f"{even:.1f} stories per month"
    console.print(f"break-even:   [bold]{even_text}[/] ({chosen.words})", highlight=False)
    table = Table()
    for column in ("stories/month", "pay per use", "subscription", "cheaper", "saves"):
        table.add_column(column, justify="right", overflow="fold")
    for row in rows:
        style = "bold" if row.stories == stories_per_month else None
        table.add_row(
            str(row.stories),
            format_usd(row.pay_per_use_usd),
            format_usd(row.subscription_usd),
            row.cheaper,
            format_usd(row.saving_usd),
            style=style,
        )
    console.print(table)


# -- cost report --------------------------------------------------------------------------


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--since {value!r}: give a date, e.g. 2026-11-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@cost_app.command("report")
def report_command(
    since: Annotated[
        str | None, typer.Option(help="Only jobs created from this date (YYYY-MM-DD), UTC.")
    ] = None,
    project: Annotated[str | None, typer.Option(help="Only this project id.")] = None,
    as_json: JsonOption = False,
) -> None:
    """What was really spent: final costs by provider, model and project."""
    # imported on use: keeps `storyreel --help` fast
    from storyreel.engine.budget import spend_report
    from storyreel.engine.service import open_client

    with guard():
        start = _since(since)

    async def go() -> list[SpendRow]:
        async with open_client(settings()) as (rt, _client):
            return await spend_report(rt.db, since=start, project_id=project)

    rows = run(go())
    total = sum((r.cost_usd for r in rows), Decimal(0))
    if as_json:
        emit_json(
            SpendReport(
                since=start,
                project=project,
                rows=[SpendLine(**vars(r)) for r in rows],
                jobs=sum(r.jobs for r in rows),
                total_usd=total,
            )
        )
        return
    table = Table(title="spent" + (f" since {since}" if since else ""))
    for column in ("provider", "model", "project", "jobs", "spent", "estimated"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.provider,
            row.model,
            row.project,
            str(row.jobs),
            format_usd(row.cost_usd),
            format_usd(row.estimate_usd),
        )
    table.add_section()
    table.add_row("all", "", "", str(sum(r.jobs for r in rows)), f"[bold]{format_usd(total)}", "")
    console.print(table)
    doubles = sum(r.possibly_billed_twice for r in rows)
    if doubles:
        console.print(
            f"[yellow]{doubles} job{'s' * (doubles != 1)} possibly billed twice[/] (a submit "
            "repeated after a lost answer on a provider with no lookup)",
            highlight=False,
        )
