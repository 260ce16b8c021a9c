"""Live progress of a story run, read from the job table (so it also shows work done by
other worker processes).

The display is a bystander: it never ends a run. While the database is away it says so
once and keeps trying; any other error stops the display (logged to the log file) and the
run goes on without it.
"""

from __future__ import annotations

import asyncio
import logging
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from storyreel.engine.runtime import Runtime
from storyreel.services.progress import finished, story_counts, waiting_notes
from storyreel.store.transient import delays, describe, is_transient, report_lost

from .common import console as stdout_console

log = logging.getLogger(__name__)
REFRESH_SECONDS = 0.25


def make_progress(console: Console | None = None) -> Progress:
    """The Panels and Clips bars, on stdout unless ``console`` says otherwise (stderr under
    ``--json``, where stdout holds only the JSON summary)."""
    return Progress(
        TextColumn("[bold]{task.description:<8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or stdout_console,
        transient=False,
    )


async def watch_story(rt: Runtime, project_id: str, *, progress: Progress) -> None:
    """Update the Panels and Clips bars until cancelled; returns (stops displaying) on an
    error that is not a database blip, and never raises one."""
    try:
        await _watch(rt, project_id, progress)
    except Exception:
        log.exception("progress display stopped; the run goes on")


async def _watch(rt: Runtime, project_id: str, progress: Progress) -> None:
    panels = progress.add_task("Panels", total=None)
    clips = progress.add_task("Clips", total=None)
    next_delay = delays(REFRESH_SECONDS)
    shown: dict[str, str] = {}
    away = False
    away_since = 0.0
    while True:
        try:
            shots, counts = await story_counts(rt, project_id)
            notes = await waiting_notes(rt, project_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("progress: database unavailable: %s", describe(exc))
            if away and time.monotonic() - away_since > rt.settings.database_retry_seconds:
                report_lost(exc)  # the run cannot go on: the CLI stops it cleanly
            if not away:
                away_since = time.monotonic()
                progress.console.print(
                    f"[yellow]waiting for the database[/] ({describe(exc)}); "
                    "the run goes on when it is back",
                    highlight=False,
                )
                away = True
            await asyncio.sleep(next_delay())
            continue
        if away:
            progress.console.print("[green]database is back[/]")
            away = False
            next_delay = delays(REFRESH_SECONDS)
        for job_id, note in notes.items():
            if shown.get(job_id) != note:
                progress.console.print(f"[yellow]{note}[/]", highlight=False)
                shown[job_id] = note
        progress.update(panels, total=shots, completed=min(shots, finished(counts, video=False)))
        progress.update(clips, total=shots, completed=min(shots, finished(counts, video=True)))
        await asyncio.sleep(REFRESH_SECONDS)
