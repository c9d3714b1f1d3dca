"""Alembic environment: runs migrations on the engine the caller passed in (or the configured URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import comity.models  # noqa: F401  (registers every table on Base.metadata)
from comity.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `comity db upgrade`")
run_migrations_online()
