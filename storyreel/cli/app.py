"""The root ``storyreel`` command."""

from __future__ import annotations

import typer

from . import catalog, generate, jobs, simulate, story, worker
from .common import fail_unexpected
from .logs import setup_logging

app = typer.Typer(
    name="storyreel",
    help="Turn a story and its characters into a storyboard and an animated video.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(story.app, name="story")
app.add_typer(jobs.app, name="jobs")
app.add_typer(generate.app, name="generate")
app.command("demo")(story.demo)
app.command("worker")(worker.worker)
app.add_typer(catalog.cost_app, name="cost")
app.command("models")(catalog.models_command)
app.command("simulate")(simulate.simulate)


def main() -> None:
    # Commands talk to the user through Rich; library logs (DBOS retry warnings,
    # SQLAlchemy tracebacks, structlog events) go to <data dir>/logs/storyreel.log.
    setup_logging()
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        fail_unexpected(exc)
