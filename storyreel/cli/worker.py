"""``storyreel worker``: a process that only executes queued jobs and resumes dead ones."""

from __future__ import annotations

import asyncio
import signal

from storyreel.engine.app import Engine

from .common import console, run, settings


async def serve_forever() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Engine(settings()) as engine:
        console.print(f"worker {engine.executor_id} listening on every provider queue")
        await stop.wait()
    console.print("worker stopped; unfinished jobs resume in the next engine process")


def worker() -> None:
    """Run queued jobs until stopped (Ctrl-C or SIGTERM)."""
    run(serve_forever())
