"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

import comity.models  # noqa: F401
from comity.db import Base
from comity.migrations import current, upgrade


def test_schema_at_head_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_at_head(engine: Engine) -> None:
    before = current(engine)
    upgrade(engine)
    assert current(engine) == before is not None
    tables = set(inspect(engine).get_table_names())
    assert {"audit_events", "alerts", "organisations", "users", "api_tokens", "outbox_messages"} <= tables
