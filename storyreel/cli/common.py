"""What every command shares: settings, the consoles, and one-line errors."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

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


@contextmanager
def guard() -> Iterator[None]:
    """A StoryreelError becomes one red line and exit code 1, never a traceback."""
    try:
        yield
    except StoryreelError as exc:
        fail(exc.message)
    except KeyboardInterrupt:
        fail("interrupted; run the same command again to resume", code=130)


def run(coro: Coroutine[Any, Any, T]) -> T:
    with guard():
        return asyncio.run(coro)
    raise AssertionError("unreachable")
