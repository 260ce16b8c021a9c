"""Shared fixtures: isolated settings, both database backends, a running engine.

Every test gets its own data dir. ``backend`` runs a test once on SQLite and once on a
fresh database on the local PostgreSQL server (skipped when none answers, unless
``STORYREEL_REQUIRE_POSTGRES=1``, which CI sets).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from storyreel.config import Settings
from storyreel.engine.app import Engine
from storyreel.engine.runtime import Runtime
from storyreel.ids import new_id

PG_ADMIN_URL = os.environ.get(
    "STORYREEL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or real keys, or writes in the checkout or the
    developer's own data dir (the default data dir is under ``XDG_DATA_HOME``)."""
    for key in list(os.environ):
        if key.startswith("STORYREEL_") and key != "STORYREEL_REQUIRE_POSTGRES":
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.chdir(tmp_path)


def _postgres_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    if not _postgres_available():
        if os.environ.get("STORYREEL_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but does not answer at {PG_ADMIN_URL}")
        pytest.skip("no PostgreSQL server answers; set STORYREEL_TEST_POSTGRES_URL")
    return PG_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_admin: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"storyreel_test_{new_id().lower()}"
    with psycopg.connect(postgres_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres_admin.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(postgres_admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str | None:
    """The database URL of a test that must pass on both backends (None = SQLite)."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        poll_interval=0.05,
        poll_interval_max=0.2,
        queue_poll_interval=0.05,
        retry_base_delay=0.01,
    )


@pytest.fixture
def backend_settings(tmp_path: Path, backend: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=backend,
        poll_interval=0.05,
        poll_interval_max=0.2,
        queue_poll_interval=0.05,
        retry_base_delay=0.01,
    )


@pytest.fixture
async def engine(backend_settings: Settings) -> AsyncIterator[Engine]:
    async with Engine(backend_settings) as running:
        yield running


@pytest.fixture
def rt(engine: Engine) -> Runtime:
    assert engine.runtime is not None
    return engine.runtime
