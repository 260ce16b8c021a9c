"""How DBOS's own system database is opened: the settings that decide what a step costs.

Every DBOS step is a checkpoint read and a checkpoint write in the system database, and
every queue poll a transaction, so its connection settings set the engine's floor per job.
DBOS leaves a SQLite file in rollback-journal mode with ``synchronous=FULL`` (several
fsyncs per commit, and readers shut out while a writer commits) and pings every pooled
connection before use. For SQLite we apply what the app store already uses (``store.db``):

- WAL, set once on the file before DBOS opens it (a property of the file, kept);
- ``synchronous=NORMAL`` on each connection: in WAL mode a commit survives any process
  crash, only a power cut may lose the last commits, which is the durability the app
  store has always had (and a lost checkpoint re-runs its step, which every step is built
  to survive: the submit step reconciles before it sends anything again);
- no pre-ping: a SQLite file cannot go away under an open connection.

PostgreSQL keeps DBOS's defaults (its pre-ping is what rides out a server restart).

Every queue poll that finds room also asks whether this process runs the application's
latest version (``_is_latest_version``: a union of two subqueries that SQLAlchemy compiles
again on every call), about half of what a poll costs. The answer changes only when
another version of the application registers; ``cache_version_check`` keeps it for
``VERSION_CHECK_SECONDS``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.engine import make_url

log = structlog.get_logger(__name__)

#: How long a poller trusts the last answer to "is this the latest application version?".
#: A newer version's workers deploying elsewhere take at most this long to be preferred.
VERSION_CHECK_SECONDS = 2.0

#: Set on every connection DBOS opens to a SQLite system database.
SQLITE_CONNECTION_PRAGMAS = ("synchronous=NORMAL",)


class _TunedConnection(sqlite3.Connection):
    """A sqlite3 connection with ``SQLITE_CONNECTION_PRAGMAS`` applied as it opens
    (``sqlite3.connect(factory=...)``: DBOS accepts no connect hook of ours)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for pragma in SQLITE_CONNECTION_PRAGMAS:
            self.execute(f"PRAGMA {pragma}")


def engine_options(system_database_url: str) -> dict[str, Any]:
    """``db_engine_kwargs`` for DBOS's system database (empty: DBOS's defaults)."""
    if make_url(system_database_url).get_backend_name() != "sqlite":
        return {}
    return {"connect_args": {"factory": _TunedConnection}, "pool_pre_ping": False}


def _sqlite_file(system_database_url: str) -> Path | None:
    """The file of a SQLite system database (None: PostgreSQL, or SQLite in memory)."""
    url = make_url(system_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def prepare(system_database_url: str) -> None:
    """Put a SQLite system database file in WAL mode before DBOS first opens it."""
    path = _sqlite_file(system_database_url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Another process may hold the file (a worker beside this CLI): wait for it, and carry
    # on without WAL rather than fail to start, which only costs speed.
    connection = sqlite3.connect(path, timeout=30.0)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as exc:
        log.warning("could not put the DBOS database in WAL mode", error=str(exc))
    finally:
        connection.close()


def is_fresh(system_database_url: str) -> bool:
    """Whether the system database is yet to be created: a SQLite file that does not exist.
    (A PostgreSQL database is made once by whoever set it up; its queues outlive runs.)"""
    path = _sqlite_file(system_database_url)
    return path is not None and not path.exists()


def cache_version_check(
    system_database: Any = None, seconds: float = VERSION_CHECK_SECONDS
) -> None:
    """Have DBOS's queue pollers reuse the answer to "is this the latest application
    version?" for ``seconds`` (DBOS 3.4 passes one in only on a sharded database).
    ``system_database``: DBOS's (the running instance's when None: call after
    ``DBOS.launch()``, which creates it). Safe to call again."""
    if system_database is None:
        import dbos._dbos as dbos_internals

        instance = dbos_internals._dbos_global_instance
        assert instance is not None, "DBOS is not launched"
        system_database = instance._sys_db
    check: Callable[..., bool] = system_database._is_latest_version
    if getattr(check, "storyreel_cached", False):
        return
    # One dict read and one write per call, each atomic: two pollers racing past an old
    # answer both ask, which costs a query, never a wrong answer.
    answers: dict[str, tuple[float, bool]] = {}

    def cached(app_version: str, c: Any = None) -> bool:
        now = time.monotonic()
        known = answers.get(app_version)
        if known is not None and now - known[0] < seconds:
            return known[1]
        latest = check(app_version, c)
        answers[app_version] = (now, latest)
        return latest

    cached.storyreel_cached = True  # type: ignore[attr-defined]
    system_database._is_latest_version = cached
