"""Where the CLI's logs go: one file in the data dir, never the terminal.

The terminal belongs to the progress bars and the one-line results. DBOS's retry
warnings, SQLAlchemy's connection tracebacks, structlog events, Python warnings and
exceptions in background threads and tasks are all written to
``<data dir>/logs/storyreel.log`` instead, where the one-line errors point.
"""

from __future__ import annotations

import io
import logging
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


def setup_logging(path: Path | None = None) -> Path:
    """Send every library log of this process to ``path`` (default: the data dir's)."""
    path = path or default_log_path()
    handler = _LazyFileHandler(path, maxBytes=_MAX_BYTES, backupCount=2, encoding="utf-8")
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
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
            structlog.contextvars.merge_contextvars,
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["event"], drop_missing=True),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )
    _state["path"] = path
    return path


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
