"""The ``storyreel`` command line (Typer + Rich); it calls the same services as the API."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_in_command = False
"""Whether this process is the ``storyreel`` command (``main``). Only then does ``loading``
freeze anything: a process that embeds the CLI's functions (the tests, an application) may
hold garbage a freeze would keep for good."""


@contextmanager
def loading() -> Iterator[None]:
    """Import a command's modules without the cyclic garbage collector.

    A story command's start creates about 200,000 tracked objects that live as long as the
    process (the modules of Typer, pydantic, SQLAlchemy, DBOS and their classes); the
    collector walks them again on every collection while they load (0.1-0.3 s of a story
    command's start on a 2-core machine) and could free none of them. Afterwards they are
    frozen out of later collections (``gc.freeze``), so a run's collections walk only what
    the run makes."""
    if not _in_command:
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def main() -> None:
    """The ``storyreel`` command."""
    global _in_command
    _in_command = True
    with loading():
        from .app import main as run_command
    run_command()
