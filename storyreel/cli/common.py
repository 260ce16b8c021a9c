"""What every command shares: settings, the consoles, one-line errors and exit codes.

stdout carries a command's result (a table, or with ``--json`` one JSON document and
nothing else); stderr carries progress, hints and errors, so ``storyreel ... --json | jq``
always reads clean JSON.

Exit codes, by kind of failure (the README lists them):

====  ======================================================================
0     success
1     runtime failure: a job failed, a provider or ffmpeg failed, a bug
2     usage: unknown command or option, bad option value (Typer's own)
3     input error: a bad story file, request or model name (``InputError``)
4     not found: no such job, asset or story file (``NotFound``)
5     configuration: a missing API key, a bad setting, a busy port (``ConfigError``)
6     budget: the estimate or spend would pass a budget (``BudgetExceeded``)
75    the database stayed away; run the same command again (EX_TEMPFAIL)
130   interrupted (Ctrl-C); 143 terminated (SIGTERM): run it again to resume
====  ======================================================================
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import traceback
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import click
import typer
from pydantic import BaseModel
from rich.console import Console

from storyreel.config import Settings, load_settings
from storyreel.errors import BudgetExceeded, ConfigError, InputError, NotFound, StoryreelError

from .logs import default_log_path, log_path

console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_NOT_FOUND = 4
EXIT_CONFIG = 5
EXIT_BUDGET = 6
#: Exit code of a command that lost its database for longer than it waits (sysexits
#: EX_TEMPFAIL: a temporary failure, try again later).
EXIT_DATABASE_LOST = 75
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

JsonOption = Annotated[
    bool,
    typer.Option(
        "--json", help="Print the result as JSON on stdout (shape: storyreel/cli/schemas.py)."
    ),
]

log = logging.getLogger("storyreel.cli")


def settings() -> Settings:
    return load_settings()


def exit_code(exc: StoryreelError) -> int:
    """The exit code of a command that ended on ``exc``: one place for the whole CLI."""
    if isinstance(exc, NotFound):
        return EXIT_NOT_FOUND
    if isinstance(exc, InputError):
        return EXIT_INPUT
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG
    if isinstance(exc, BudgetExceeded):
        return EXIT_BUDGET
    return EXIT_FAILURE


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)


def usd_amount(value: str) -> Decimal:
    """A ``--budget`` value: a finite, non-negative number of dollars. Decimal alone would
    take NaN and Infinity and raise a traceback on garbage (a custom parser also skips
    Typer's ``min=``)."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter(f"{value!r} is not an amount in USD, e.g. 2.50") from None
    if not amount.is_finite() or amount < 0:
        raise typer.BadParameter(f"{value!r} must be a finite amount of USD, 0 or more")
    return amount


def hint(message: str) -> None:
    """A suggestion for the next command ("more: ..."): stderr, never mixed with results."""
    err_console.print(message, highlight=False, soft_wrap=True)


def emit_json(result: BaseModel) -> None:
    """Print ``result`` as the command's only stdout (``--json``)."""
    sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    sys.stdout.flush()


def out_console(json_mode: bool) -> Console:
    """Where human-readable lines go: stdout normally, stderr when stdout is JSON."""
    return err_console if json_mode else console


@contextmanager
def guard() -> Iterator[None]:
    """Every error ends the command with one red line, never a traceback: a
    StoryreelError its message (exit code by kind: ``exit_code``), a database gone for longer than
    ``database_retry_seconds`` "lost the database" (exit 75), anything else its type and
    the log file that holds the traceback (exit 1)."""
    try:
        yield
    except StoryreelError as exc:
        fail(exc.message, code=exit_code(exc))
    except KeyboardInterrupt:
        fail("interrupted; run the same command again to resume", code=EXIT_INTERRUPTED)
    except Terminated:
        fail("terminated; run the same command again to resume", code=EXIT_TERMINATED)
    except DatabaseLost as exc:
        log.error("database lost", exc_info=exc.cause)
        fail(
            f"lost the database ({exc}); run the same command again to resume",
            code=EXIT_DATABASE_LOST,
        )
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
        raise
    except Exception as exc:  # noqa: BLE001 - one line, the traceback goes to the log
        fail_unexpected(exc)


def fail_unexpected(exc: BaseException) -> NoReturn:
    """One line for an exception nobody expected; its traceback goes to the log file."""
    # imported on use, as every database module: keeps `storyreel --help` fast
    from storyreel.store.transient import describe, is_transient

    path = log_path()
    if path is not None:
        log.error("command failed", exc_info=exc)
    else:
        path = _write_traceback(exc)
    if is_transient(exc):
        fail(
            f"lost the database ({describe(exc)}); run the same command again to resume",
            code=EXIT_DATABASE_LOST,
        )
    message = str(exc).strip().splitlines()
    detail = f": {message[0]}" if message else ""
    fail(f"unexpected {type(exc).__name__}{detail} (traceback in {path})")


def _write_traceback(exc: BaseException) -> Path:
    """Logging is not set up (storyreel used as a library, or a test): append the
    traceback to the data dir's log file directly."""
    path = default_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write("".join(traceback.format_exception(exc)))
    except OSError:
        return Path("<no log file: it could not be written>")
    return path


class Terminated(Exception):
    """SIGTERM arrived: the command was cancelled the way Ctrl-C cancels it."""


class DatabaseLost(Exception):
    """The database stayed away past ``database_retry_seconds``: the command was
    cancelled the way Ctrl-C cancels it, so its workflows stay pending for the next run."""

    def __init__(self, cause: BaseException) -> None:
        from storyreel.store.transient import describe

        super().__init__(describe(cause))
        self.cause = cause


def register_workflows() -> None:
    """Register every DBOS workflow and step before a command starts an engine. DBOS finds
    a workflow it recovers (a killed run's) or dequeues (a story's queued shots) by name,
    so a ``worker`` or a ``generate`` must know the story pipeline's too. The engine does
    not import the story layer, and the commands import it on use (``storyreel --help``
    stays fast), so the commands that start an engine without it call this first."""
    import storyreel.story.pipeline  # noqa: F401 - imported for its registrations


def run(coro: Coroutine[Any, Any, T]) -> T:
    with guard():
        return asyncio.run(_cancelled_by_sigterm(coro))
    raise AssertionError("unreachable")


async def _cancelled_by_sigterm(coro: Coroutine[Any, Any, T]) -> T:
    """Treat SIGTERM, and a database lost for good, like Ctrl-C: cancel the command so the
    engine stops cleanly (its workflows stay pending for the next process) instead of
    dying mid-write or failing them."""
    from storyreel.store.transient import set_on_lost

    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    terminated = False
    lost: list[BaseException] = []

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        main.cancel()

    def database_lost(exc: BaseException) -> None:
        # Called from steps and the progress display, possibly on other threads.
        if not lost:
            lost.append(exc)
            loop.call_soon_threadsafe(main.cancel)

    loop.add_signal_handler(signal.SIGTERM, terminate)
    set_on_lost(database_lost)
    try:
        return await coro
    except asyncio.CancelledError:
        if terminated:
            raise Terminated from None
        if lost:
            raise DatabaseLost(lost[0]) from None
        raise
    finally:
        set_on_lost(None)
        loop.remove_signal_handler(signal.SIGTERM)
