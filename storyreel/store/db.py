"""The app database: a connection pool per event loop, sessions, and migrations applied on
start."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import fcntl
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import dialect as aiosqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

from . import sqlite_trips
from .transient import DEFAULT_RETRY_SECONDS, retry_transient

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: A closing SQLite connection's thread ends in milliseconds; this only bounds a wedged one.
_THREAD_JOIN_SECONDS = 5.0


def sync_url(async_url: str) -> str:
    """The same database through a synchronous driver, for Alembic."""
    url = make_url(async_url)
    driver = "pysqlite" if url.get_backend_name() == "sqlite" else "psycopg"
    return url.set(drivername=f"{url.get_backend_name()}+{driver}").render_as_string(
        hide_password=False
    )


def migrate(async_url: str) -> None:
    """Bring the schema to the newest revision (idempotent; safe on every start, and safe
    when several processes start at once: PostgreSQL serialises on an advisory lock in
    the migration environment, SQLite on a lock file beside the database). A SQLite
    database already at the newest revision is left as it is without loading Alembic,
    which is a tenth of a second of every command's start (``head_revision``)."""
    url = make_url(async_url)
    if url.get_backend_name() == "sqlite" and url.database:
        if _sqlite_revision(url.database) == head_revision():
            return
        with _file_lock(Path(url.database).with_suffix(".migrate.lock")):
            _upgrade(async_url)
            _enable_wal(url.database)
    else:
        _upgrade(async_url)


def _upgrade(async_url: str) -> None:
    from alembic import command  # imported on use: most starts find the schema current
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["url"] = sync_url(async_url)
    command.upgrade(cfg, "head")


def head_revision() -> str:
    """The newest migration's revision. Revisions form one line named by their files'
    numbers (``0009_...py`` is revision ``"0009"``, down from ``"0008"``);
    ``tests/store/test_migrations.py`` holds Alembic's own answer to this one."""
    numbers = [p.name[:4] for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")]
    return max(numbers)


def _sqlite_revision(path: str) -> str | None:
    """The revision a SQLite database file is at; None when it has none (a new file, one
    Alembic never stamped) or cannot be read."""
    if not Path(path).is_file():
        return None
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def _enable_wal(path: str) -> None:
    """WAL is a property of the database file: set it once, not on every connection."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.close()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_turns_held: contextvars.ContextVar[frozenset[Database]] = contextvars.ContextVar(
    "storyreel_db_turns_held", default=frozenset()
)
"""The databases whose turn the current task holds (``Database._turn``)."""

#: Set on every SQLite connection. (WAL, set once by ``migrate``, lets readers look while a
#: worker writes.) The busy timeout makes concurrent writers wait instead of failing with
#: "database is locked"; synchronous=NORMAL in WAL mode survives any process crash (only a
#: power cut can drop the last commits) and halves the fsyncs per job.
SQLITE_PRAGMAS = ("busy_timeout=30000", "synchronous=NORMAL", "foreign_keys=ON")


class Database:
    """Owns the engines; hands out sessions that commit on success.

    One connection pool per event loop. A pooled async connection belongs to the loop
    that opened it, and one database is used from more than one loop (the engine's, DBOS's
    own loop for work started outside any loop, a test's or an embedding app's), so each
    loop gets its own engine and pool, made on first use there. Reusing connections saves a
    connect (and, for SQLite, a thread) per transaction: most of the store's cost per job.

    On SQLite a transaction's turn is taken per event loop: one session at a time runs
    on a loop, the next one starts the moment it ends. SQLite has a single writer, and a
    connection that finds the write lock taken sleeps in its busy handler (1, 2, 5 ... then
    100 ms naps) instead of being woken, so sixteen jobs writing at once used to queue up
    for seconds behind transactions that take a millisecond. Keep sessions short: nothing
    slow (a provider call, a render) belongs inside one. A session opened by a task that
    already holds the turn (a session inside a session, or a task started inside one)
    runs at once, as before.

    Cancellation stays safe with a pool. A checkout cancelled while connecting closes what
    it opened (``_sqlite_connector``); a transaction cancelled half way has its connection
    invalidated by SQLAlchemy rather than returned, so nothing half done is reused, and the
    SQLite thread of every connection ever opened is tracked and joined by ``close``.

    Database blips (a PostgreSQL restart, SQLite busy past its timeout) are waited out for
    up to ``retry_seconds`` (see ``storyreel.store.transient``): ``session`` retries
    opening the connection and starting the transaction, which covers every transaction
    that starts while the database is away (a pooled PostgreSQL connection idle for more
    than ``PING_IDLE_SECONDS`` is pinged on checkout, so a stale one is replaced, not
    handed out); ``transaction`` also retries a transaction whose connection died half
    way, from its first statement.
    """

    __hash__ = object.__hash__

    def __init__(
        self, url: str, *, retry_seconds: float = DEFAULT_RETRY_SECONDS, pool_size: int = 8
    ) -> None:
        self.url = url
        self.retry_seconds = retry_seconds
        self.pool_size = pool_size
        self._sqlite = make_url(url).get_backend_name() == "sqlite"
        self._sqlite_threads: list[threading.Thread] = []
        self._engines: dict[asyncio.AbstractEventLoop, AsyncEngine] = {}
        self._gates: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._lock = threading.Lock()
        for pool in ("QueuePool", "AsyncAdaptedQueuePool"):
            logging.getLogger(f"sqlalchemy.pool.impl.{pool}").addFilter(_not_cancelled)

    @property
    def engine(self) -> AsyncEngine:
        """The engine (and pool) of the running event loop, made on first use there."""
        loop = asyncio.get_running_loop()
        with self._lock:
            engine = self._engines.get(loop)
            if engine is None:
                engine = self._engines[loop] = self._make_engine()
            return engine

    def _make_engine(self) -> AsyncEngine:
        options: dict[str, Any] = {
            "poolclass": AsyncAdaptedQueuePool,
            "pool_size": self.pool_size,
            "max_overflow": self.pool_size * 2,
            "pool_reset_on_return": "rollback",
        }
        if self._sqlite:
            options["async_creator"] = _sqlite_connector(self.url, self._track_sqlite_thread)
        engine = create_async_engine(self.url, **options)
        if not self._sqlite:
            _ping_when_idle(engine)
        return engine

    def sessions(self) -> AsyncSession:
        """A bare session on this loop's engine (the caller begins and ends it)."""
        return AsyncSession(self.engine, expire_on_commit=False)

    def _track_sqlite_thread(self, thread: threading.Thread) -> None:
        # aiosqlite runs each connection on its own thread. A query cancelled mid-flight
        # (a stopping engine cancels its workflows) force-closes its connection without
        # waiting; ``close`` waits for those threads so none outlives the event loop.
        with self._lock:
            self._sqlite_threads = [t for t in self._sqlite_threads if t.is_alive()]
            self._sqlite_threads.append(thread)

    def _gate(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._lock:
            gate = self._gates.get(loop)
            if gate is None:
                gate = self._gates[loop] = asyncio.Lock()
            return gate

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """On SQLite, one transaction at a time per event loop (see the class docstring);
        a task that already holds the turn (a session opened inside another) goes on."""
        if not self._sqlite or self in _turns_held.get():
            yield
            return
        async with self._gate():
            token = _turns_held.set(_turns_held.get() | {self})
            try:
                yield
            finally:
                _turns_held.reset(token)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A transaction that commits when the block ends without an error and rolls
        back otherwise.

        It starts only once its connection is open, retrying while the database is
        unreachable. A block cannot be run twice, so an error inside it (the connection
        lost half way included) is the caller's: nothing of the transaction is applied.
        Use ``transaction`` where the whole unit should be retried.
        """
        async with self._turn():
            session = await retry_transient(
                self._connected_session, seconds=self.retry_seconds, what="opening a transaction"
            )
            async with session:
                yield session
                await session.commit()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A transaction that only reads, and so does not wait for the turn: SQLite's WAL
        lets any number of readers look while one connection writes, so a read queued
        behind sixteen writers' turns only waited (a job's first read took 0.4 s on a
        story's busy engine). Nothing is committed: closing the session hands its
        connection back to the pool, which rolls it back, and leaves the rows it loaded
        readable (a rollback would expire them). A block that changed anything is a bug,
        refused rather than silently dropped."""
        session = await retry_transient(
            self._connected_session, seconds=self.retry_seconds, what="opening a transaction"
        )
        async with session:
            yield session
            if session.new or session.dirty or session.deleted:
                raise RuntimeError("Database.read() is for reads: use session() to write")

    async def transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work(session)`` in one transaction and commit it, running the whole of it
        again (new connection, first statement) when the database drops out under it.

        A failed attempt is rolled back by the server, so ``work`` is applied once. The one
        ambiguous case is a connection lost during COMMIT itself, when the server may have
        committed: ``work`` must then find its own earlier effect (look up before
        inserting, as ``create_job`` does by request hash) rather than apply it twice.
        """

        async def attempt() -> T:
            async with self._turn():
                session = await self._connected_session()
                async with session:
                    result = await work(session)
                    await session.commit()
                    return result

        return await retry_transient(attempt, seconds=self.retry_seconds, what="transaction")

    async def _connected_session(self) -> AsyncSession:
        """A session whose transaction has begun on an open connection."""
        session = self.sessions()
        try:
            await session.connection()
        except BaseException:
            await session.close()
            raise
        return session

    async def close(self) -> None:
        """Dispose of every loop's engine and wait for every SQLite connection thread to
        end. A pool is closed on its own loop: this one's here, a running other loop's
        there (waited for), and a pool whose loop is gone has its connections closed
        directly (an aiosqlite connection answers on whichever loop asks)."""
        with self._lock:
            engines, self._engines = self._engines, {}
            self._gates = {}
        here = asyncio.get_running_loop()
        for loop, engine in engines.items():
            if loop is here:
                await engine.dispose()
            elif loop.is_running():
                done = asyncio.run_coroutine_threadsafe(engine.dispose(), loop)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.wrap_future(done), _THREAD_JOIN_SECONDS)
            else:
                await engine.dispose()
        with self._lock:
            threads, self._sqlite_threads = self._sqlite_threads, []
        if threads:
            await asyncio.to_thread(_join_all, threads, _THREAD_JOIN_SECONDS)


#: A pooled PostgreSQL connection idle longer than this is pinged before it is handed out
#: (a restarted server has closed it); a busy pool pays nothing.
PING_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    """SQLAlchemy's ``pool_pre_ping`` pings on every checkout, one round trip per
    transaction; this pings only a connection that sat idle, where staleness is likely."""

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _checked_in(_dbapi: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_IDLE_SECONDS:
            return
        try:
            cursor = dbapi.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as exc:
            raise DisconnectionError(str(exc)) from exc


def _sqlite_connector(
    url: str, on_open: Callable[[threading.Thread], None]
) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """Open aiosqlite connections, with ``SQLITE_PRAGMAS`` set, that a cancellation cannot
    orphan.

    Cancelled while connecting, SQLAlchemy never receives the connection, so nothing
    would close it and its thread would wait until garbage collection, then report to
    whatever event loop is current by then (possibly a closed one). Here the connect
    runs to the end under a shield and a cancelled caller closes what it opened.
    """
    args, kwargs = aiosqlite_dialect().create_connect_args(make_url(url))

    async def open_connection() -> aiosqlite.Connection:
        connection = sqlite_trips.connect(*args, **kwargs)
        connection._thread.daemon = True  # as SQLAlchemy's own connect does
        on_open(connection._thread)
        opened = await connection
        for pragma in SQLITE_PRAGMAS:
            await opened.execute(f"PRAGMA {pragma}")
        return opened

    async def connect() -> aiosqlite.Connection:
        opening = asyncio.ensure_future(open_connection())
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            with contextlib.suppress(BaseException):  # a second cancel: give up quietly
                await (await opening).close()
            raise

    return connect


def _not_cancelled(record: logging.LogRecord) -> bool:
    # A task cancelled inside a transaction (Ctrl-C, an engine stopping) makes the pool
    # log the interrupted rollback or close with a traceback. Nothing failed: the
    # connection is terminated, and the work it held resumes from the last checkpoint.
    return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


def _join_all(threads: list[threading.Thread], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
