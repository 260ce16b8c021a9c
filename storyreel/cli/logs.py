"""Where the CLI's logs go: one file in the data dir, and the terminal only if asked.

The terminal belongs to the progress bars and the one-line results. Every job's events
(``engine.events``), DBOS's retry warnings, SQLAlchemy's connection tracebacks, Python
warnings and exceptions in background threads and tasks are written to
``<data dir>/logs/storyreel.log`` as JSON lines (one object per event: ``timestamp``,
``level``, ``logger``, ``event`` and its fields), where the one-line errors point.
``storyreel --verbose`` also shows them on stderr, in plain words.

Nothing secret is logged: events carry ids and states, and httpx's request lines (which
would carry a URL as sent) are kept at WARNING.
"""

from __future__ import annotations

import io
import logging
import sys
import tempfile
import threading
import warnings
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import structlog

from storyreel.errors import StoryreelError

LOG_NAME = "storyreel.log"
_MAX_BYTES = 5 * 1024 * 1024
_state: dict[str, Path] = {}

log = logging.getLogger("storyreel.cli")


def log_path() -> Path | None:
    """The file this process logs to, once ``setup_logging`` has run."""
    return _state.get("path")


def default_log_path() -> Path:
    """``<data dir>/logs/storyreel.log``, or a file in the temp dir when the settings are
    too broken to name a data dir (the command then fails with a one-line error)."""
    from storyreel.config import load_settings

    try:
        # Not ``data_path``, which creates the folder: a command that logs nothing (a bad
        # story file, ``story plan``) writes nothing.
        return load_settings().data_dir.expanduser().resolve() / "logs" / LOG_NAME
    except (StoryreelError, OSError):
        return Path(tempfile.gettempdir()) / f"storyreel-{LOG_NAME}"


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _formatter(renderer: Any) -> logging.Formatter:
    """One format for structlog events and plain library records alike."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def setup_logging(path: Path | None = None) -> Path:
    """Send every log of this process to ``path`` (default: the data dir's)."""
    path = path or default_log_path()
    handler = _LazyFileHandler(path, maxBytes=_MAX_BYTES, backupCount=2, encoding="utf-8")
    handler.setFormatter(_formatter(structlog.processors.JSONRenderer(default=str)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for chatty in ("httpx", "httpx2", "httpcore", "uvicorn.access"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # Alembic logs one INFO line per plugin when it is imported. Commands import it on use,
    # after this setup, and those lines would create the log file (and the data dir) of a
    # command that has nothing to log, e.g. one refusing a bad story file.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # DBOS adds a console handler to its logger unless one is there already; a do-nothing
    # one keeps its records flowing to the file through the root logger.
    dbos = logging.getLogger("dbos")
    if not dbos.handlers:
        dbos.addHandler(logging.NullHandler())
    dbos.propagate = True
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    threading.excepthook = _log_thread_exception
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _state["path"] = path
    return path


def show_on_terminal() -> None:
    """``--verbose``: every event on stderr too, as one readable line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(structlog.dev.ConsoleRenderer(colors=False)))
    logging.getLogger().addHandler(handler)


class _LazyFileHandler(RotatingFileHandler):
    """Creates the log file, and its folder, only when there is something to log."""

    def __init__(self, path: Path, **options: Any) -> None:
        super().__init__(path, delay=True, **options)

    def _open(self) -> io.TextIOWrapper:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    log.error(
        "exception in thread %s",
        name,
        exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback),
    )
