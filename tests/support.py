"""Small helpers shared by tests (importable as ``support``: tests/ is on the pytest path)."""

from __future__ import annotations

from sqlalchemy import Engine, text

import comity.models  # noqa: F401  (every table registered, so empty_all_tables empties them all)
from comity.db import Base


def bearer(token: str) -> dict[str, str]:
    """Authorization header for a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def problem_fields(body: dict[str, object]) -> list[str]:
    """The field paths named by a problem+json body."""
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [str(e["path"]) for e in errors if isinstance(e, dict)]


def empty_all_tables(engine: Engine) -> None:
    """Delete every row of every table (children first); the per-test clean-up of the shared database."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
