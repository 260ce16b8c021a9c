"""``storyreel worker``: a process that only executes queued jobs and resumes dead ones.

It prints one line per job it starts and one per job it finishes (with the outcome and
cost), so a terminal running a worker reads as a log of its work.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from .common import console, register_workflows, run, settings


async def serve_forever(*, local: bool = False) -> None:
    # imported on use: keeps `storyreel --help` fast
    from storyreel.engine.app import Engine

    from .jobwatch import log_worker_jobs

    register_workflows()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    cfg = settings()
    if local:
        cfg = cfg.model_copy(update={"local": cfg.local.model_copy(update={"worker": True})})
    async with Engine(cfg) as engine:
        assert engine.runtime is not None
        queues = "every provider queue" if cfg.hosts_local_jobs else "every queue but local"
        console.print(f"worker {engine.executor_id} listening on {queues}")
        jobs = asyncio.create_task(
            log_worker_jobs(engine.runtime, engine.executor_id, console=console)
        )
        try:
            await stop.wait()
        finally:
            jobs.cancel()
            await asyncio.gather(jobs, return_exceptions=True)
    console.print("worker stopped; unfinished jobs resume in the next engine process")


def worker(
    local: Annotated[
        bool,
        typer.Option(
            "--local",
            help="Also take local (diffusers) jobs: this host loads the model and renders "
            "them (same as STORYREEL_LOCAL__WORKER=true).",
        ),
    ] = False,
) -> None:
    """Run queued jobs until stopped (Ctrl-C or SIGTERM), one line per job."""
    run(serve_forever(local=local))
