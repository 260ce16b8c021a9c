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
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.engine import make_url

log = structlog.get_logger(__name__)

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
