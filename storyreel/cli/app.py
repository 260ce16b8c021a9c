"""The root ``storyreel`` command."""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import os
import sys
from typing import Annotated, NoReturn

import typer

import storyreel

from . import bulk, catalog, generate, info, jobs, models, serve, simulate, story, worker
from .common import EXIT_DATABASE_LOST, fail_unexpected
from .logs import setup_logging, show_on_terminal

app = typer.Typer(
    name="storyreel",
    help="Turn a story and its characters into a storyboard and an animated video.",
    epilog="Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 input error, 4 not found, "
    "5 configuration, 6 budget, 75 database lost, 130/143 interrupted (README: Scripting).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(story.app, name="story")
app.add_typer(jobs.app, name="jobs")
app.add_typer(generate.app, name="generate")
app.command("demo")(story.demo)
app.command("worker")(worker.worker)
app.command("serve")(serve.serve)
app.add_typer(catalog.cost_app, name="cost")
app.command("models")(models.models_command)
app.command("simulate")(simulate.simulate)
app.command("info")(info.info_command)
app.command("bulk")(bulk.bulk)


def _version(value: bool) -> None:
    if value:
        print(f"storyreel {storyreel.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Also show every job event and library log on stderr."
        ),
    ] = False,
) -> None:
    """Options of the root command (``--version``, ``--verbose``); the help text is the
    app's."""
    if verbose:
        show_on_terminal()


def main() -> None:
    # Commands talk to the user through Rich; library logs (DBOS retry warnings,
    # SQLAlchemy tracebacks, structlog events) go to <data dir>/logs/storyreel.log.
    setup_logging()
    # At exit the interpreter's last collections walk every object the command made
    # (0.2 s after a story run, as much as an unchanged re-run itself): freezing them
    # first skips that walk. Files and logs are closed by then (``with`` blocks, the
    # engine's stop, logging's own exit hook).
    atexit.register(gc.freeze)
    try:
        app()
    except SystemExit as exc:
        if exc.code == EXIT_DATABASE_LOST:
            _exit_now(EXIT_DATABASE_LOST)
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        fail_unexpected(exc)


def _exit_now(code: int) -> NoReturn:
    """Exit without joining threads. With the database gone, DBOS's system-database calls
    retry on their threads until it is back (their ``db_retry`` has no deadline), so a
    normal exit would wait for them; the engine has already stopped and left its
    workflows pending, so there is nothing left to wait for."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    logging.shutdown()
    os._exit(code)
