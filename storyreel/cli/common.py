"""What every command shares: settings, the consoles, and one-line errors."""

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
from typing import Any, NoReturn, TypeVar

import click
import typer
from rich.console import Console

from storyreel.config import Settings, load_settings
from storyreel.errors import StoryreelError
from storyreel.store.transient import describe, is_transient, set_on_lost

from .logs import default_log_path, log_path

console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")

#: Exit code of a command that lost its database for longer than it waits (sysexits
#: EX_TEMPFAIL: a temporary failure, try again later).
EXIT_DATABASE_LOST = 75

log = logging.getLogger("storyreel.cli")


def settings() -> Settings:
    return load_settings()


def fail(message: str, code: int = 1) -> NoReturn:
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


@contextmanager
def guard() -> Iterator[None]:
    """Every error ends the command with one red line, never a traceback: a
    StoryreelError its message (exit 1), a database gone for longer than
    ``database_retry_seconds`` "lost the database" (exit 75), anything else its type and
    the log file that holds the traceback (exit 1)."""
    try:
        yield
    except StoryreelError as exc:
        fail(exc.message)
    except KeyboardInterrupt:
        fail("interrupted; run the same command again to resume", code=130)
    except Terminated:
        fail("terminated; run the same command again to resume", code=143)
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
        super().__init__(describe(cause))
        self.cause = cause


def run(coro: Coroutine[Any, Any, T]) -> T:
    with guard():
        return asyncio.run(_cancelled_by_sigterm(coro))
    raise AssertionError("unreachable")


async def _cancelled_by_sigterm(coro: Coroutine[Any, Any, T]) -> T:
    """Treat SIGTERM, and a database lost for good, like Ctrl-C: cancel the command so the
    engine stops cleanly (its workflows stay pending for the next process) instead of
    dying mid-write or failing them."""
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
