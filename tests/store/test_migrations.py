"""Migrations are applied on start, are idempotent, and build exactly the models' schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from storyreel.config import Settings
from storyreel.store.db import migrate, sync_url
from storyreel.store.models import Base


def test_migrations_match_models_on_both_backends(tmp_path: Path, backend: str | None) -> None:
    url = Settings(data_dir=tmp_path, database_url=backend).app_database_url
    migrate(url)
    migrate(url)  # a second start changes nothing
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"jobs", "assets", "projects", "characters", "shots", "cost_entries"} <= tables


def test_a_story_seed_up_to_the_schemas_limit_is_stored(
    tmp_path: Path, backend: str | None
) -> None:
    """A title-derived seed is 32 unsigned bits: half of them overflowed PostgreSQL's
    INTEGER before migration 0009."""
    from sqlalchemy.orm import Session

    from storyreel.store.models import Project

    url = Settings(data_dir=tmp_path, database_url=backend).app_database_url
    migrate(url)
    engine = create_engine(sync_url(url))
    with Session(engine) as session:
        session.add(Project(title="t", story_hash="0" * 64, story={}, seed=2**32 - 1))
        session.commit()
        assert session.query(Project.seed).scalar() == 2**32 - 1
    engine.dispose()


def test_the_head_revision_is_alembics() -> None:
    """``migrate`` skips a database at ``head_revision`` without asking Alembic."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storyreel.store.db import MIGRATIONS_DIR, head_revision

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_heads() == [head_revision()]


def test_a_current_sqlite_database_is_not_migrated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyreel.store import db

    url = Settings(data_dir=tmp_path).app_database_url
    db.migrate(url)
    upgrades: list[str] = []
    monkeypatch.setattr(db, "_upgrade", upgrades.append)
    db.migrate(url)
    assert upgrades == []
    # one revision behind: upgraded again
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0008'"))
    engine.dispose()
    db.migrate(url)
    assert upgrades == [url]
