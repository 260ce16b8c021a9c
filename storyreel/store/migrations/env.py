"""Alembic environment: storyreel passes the URL in ``config.attributes['url']``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

from storyreel.store.models import Base

LOCK_KEY = 0x5709_7EE1  # "storyreel" migrations, an arbitrary app-wide constant
config = context.config
url: str = config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or ""


def run() -> None:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Two processes starting at once on a fresh database must not both create
                # the tables: the second waits here, then finds the schema up to date.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            context.run_migrations()
    engine.dispose()


run()
