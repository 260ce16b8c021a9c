"""``storyreel generate image|video``: one job on any catalog model, with its cost."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from storyreel.catalog import Catalog
from storyreel.catalog.pricing import format_usd
from storyreel.errors import InputError

from .common import (
    EXIT_FAILURE,
    JsonOption,
    console,
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
from .schemas import GenerateResult

if TYPE_CHECKING:
    from storyreel.config import Settings
    from storyreel.engine.runtime import Runtime
    from storyreel.services.generation import Kind
    from storyreel.store.models import Job
    from storyreel.vocabulary import GenerationRequest

app = typer.Typer(help="Generate one image or video on any model.", no_args_is_help=True)

ModelOption = Annotated[
    str, typer.Option("--model", "-m", help="provider:model id or an alias (see storyreel models).")
]
PromptOption = Annotated[str, typer.Option("--prompt", "-p", help="What to generate.")]
RefOption = Annotated[
    list[Path] | None, typer.Option("--ref", "-r", help="Reference image (repeatable).")
]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")]
BudgetOption = Annotated[
    Decimal | None,
    typer.Option(
        "--budget",
        min=0,
        help="Refuse (before submitting) a job estimated above USD.",
        parser=usd_amount,
    ),
]


def _read_refs(paths: list[Path], limit_bytes: int, limit_pixels: int) -> list[tuple[bytes, str]]:
    from storyreel.services.generation import check_image  # imported on use: keeps --help fast

    files = []
    for path in paths:
        if not path.is_file():
            raise InputError(f"reference image {path} does not exist")
        data = path.read_bytes()
        mime = check_image(data, name=str(path), max_bytes=limit_bytes, max_pixels=limit_pixels)
        files.append((data, mime))
    return files


async def _run_watched(
    cfg: Settings, build: Callable[[Runtime], GenerationRequest]
) -> tuple[Job, dict[str, Any]]:
    """Start an engine, submit, and wait, printing the job's phases (queued, running,
    downloading) on stderr as ``story run`` shows its bars."""
    # imported on use: keeps `storyreel --help` fast
    from storyreel.engine import jobs as job_rows
    from storyreel.engine.app import Engine
    from storyreel.engine.service import submit_job, wait_job

    from .jobwatch import job_line, watch_job

    register_workflows()
    async with Engine(cfg) as engine:
        assert engine.runtime is not None
        job = await submit_job(build(engine.runtime))
        watcher = asyncio.create_task(watch_job(engine.runtime, job.id, console=err_console))
        try:
            result = await wait_job(job.id)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        final = await job_rows.get_job(engine.runtime.db, result.get("job_id") or job.id)
        err_console.print(job_line(final, final.status), highlight=False, soft_wrap=True)
        return final, result


def _generate(
    kind: Kind,
    model: str,
    prompt: str,
    refs: list[Path],
    out: Path,
    budget: Decimal | None,
    as_json: bool,
    **fields: object,
) -> None:
    # imported on use: keeps `storyreel --help` fast
    from storyreel.services.generation import prepare
    from storyreel.store.assets import AssetStore, extension_for

    cfg = settings()
    with guard():
        catalog = Catalog.load(cfg)
        files = _read_refs(refs, cfg.max_upload_bytes, cfg.max_image_pixels)
        prepared = prepare(
            catalog, kind=kind, model=model, prompt=prompt, files=files, budget=budget, **fields
        )

    def build(rt: Runtime) -> GenerationRequest:
        return prepared.with_references(rt.assets)

    out_console(as_json).print(
        f"{prepared.entry.id}: {prepared.task}, estimate {prepared.estimate_text} ...",
        highlight=False,
    )
    job, result = run(_run_watched(cfg, build))
    written: list[Path] = []  # as written (relative to --out), shown to people
    if result["status"] == "succeeded":
        out.mkdir(parents=True, exist_ok=True)
        assets = AssetStore(cfg.data_path / "assets")
        with guard():
            for position, output in enumerate(job.outputs):
                source = assets.path(output.asset_sha256, output.mime)
                target = out / f"{kind}_{job.id}_{position}{extension_for(output.mime)}"
                shutil.copyfile(source, target)
                written.append(target)
    report = GenerateResult(
        job_id=job.id,
        status=result["status"],
        task=job.task,
        model=job.model,
        failover_from=job.failover_from,
        estimate_usd=job.estimate_usd,
        cost_usd=job.cost_usd,
        error=job.error or result.get("error"),
        error_reason=job.error_reason,
        files=[f.resolve() for f in written],
    )
    if as_json:
        emit_json(report)
    if result["status"] != "succeeded":
        fail(
            f"job {job.id} {result['status']}: {result.get('error') or 'no message'}",
            code=EXIT_FAILURE,
        )
    if as_json:
        return
    for target in written:
        console.print(f"  {target}", highlight=False)
    cost = format_usd(job.cost_usd if job.cost_usd is not None else Decimal(0))
    note = f" (failed over from {job.failover_from})" if job.failover_from else ""
    console.print(
        f"job {job.id} on {job.model}{note}: cost {cost}", highlight=False, soft_wrap=True
    )


@app.command("image")
def image(
    model: ModelOption,
    prompt: PromptOption,
    ref: RefOption = None,
    out: OutOption = Path("out/generate"),
    width: Annotated[int | None, typer.Option(min=64, max=8192)] = None,
    height: Annotated[int | None, typer.Option(min=64, max=8192)] = None,
    aspect: Annotated[str | None, typer.Option(help="e.g. 16:9")] = None,
    count: Annotated[int, typer.Option(min=1, max=16)] = 1,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
    resolution: Annotated[str | None, typer.Option(help="e.g. 1K, 2K")] = None,
    budget: BudgetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate an image (text-to-image, or with --ref, reference/image-to-image)."""
    _generate(
        "image",
        model,
        prompt,
        ref or [],
        out,
        budget,
        as_json,
        width=width,
        height=height,
        aspect=aspect,
        count=count,
        seed=seed,
        resolution=resolution,
    )


@app.command("video")
def video(
    model: ModelOption,
    prompt: PromptOption,
    ref: RefOption = None,
    out: OutOption = Path("out/generate"),
    duration: Annotated[float | None, typer.Option(min=0.5, max=120)] = None,
    resolution: Annotated[str | None, typer.Option(help="e.g. 720p")] = None,
    aspect: Annotated[str | None, typer.Option(help="e.g. 16:9")] = None,
    audio: Annotated[bool | None, typer.Option("--audio/--no-audio")] = None,
    fps: Annotated[int | None, typer.Option(min=1, max=120)] = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
    budget: BudgetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate a video (text-to-video, image-to-video with one --ref, first/last frame
    with two)."""
    _generate(
        "video",
        model,
        prompt,
        ref or [],
        out,
        budget,
        as_json,
        duration=duration,
        resolution=resolution,
        aspect=aspect,
        audio=audio,
        fps=fps,
        seed=seed,
    )
