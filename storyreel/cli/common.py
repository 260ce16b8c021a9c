"""What every command shares: settings, the consoles, and one-line errors."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from storyreel.config import Settings, load_settings
from storyreel.errors import StoryreelError

console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")


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
    """A StoryreelError becomes one red line and exit code 1, never a traceback."""
    try:
        yield
    except StoryreelError as exc:
        fail(exc.message)
    except KeyboardInterrupt:
        fail("interrupted; run the same command again to resume", code=130)
    except Terminated:
        fail("terminated; run the same command again to resume", code=143)


class Terminated(Exception):
    """SIGTERM arrived: the command was cancelled the way Ctrl-C cancels it."""


def run(coro: Coroutine[Any, Any, T]) -> T:
    with guard():
        return asyncio.run(_cancelled_by_sigterm(coro))
    raise AssertionError("unreachable")


async def _cancelled_by_sigterm(coro: Coroutine[Any, Any, T]) -> T:
    """Treat SIGTERM like Ctrl-C: cancel the command so the engine stops cleanly (its
    workflows stay pending for the next process) instead of dying mid-write."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        main.cancel()

    loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        return await coro
    except asyncio.CancelledError:
        if terminated:
            raise Terminated from None
        raise
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
