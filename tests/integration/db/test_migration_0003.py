"""Migration 0003 refuses to give evidence a foreign key while rows name a case that does not exist."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from comity.db import make_engine
from comity.errors import ConfigurationError
from comity.migrations import current, upgrade

NOW = datetime(2026, 9, 1, tzinfo=UTC)


def _filler(column: sa.Column[Any]) -> object:
    """A value of the column's type for a NOT NULL column the test does not care about."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.BigInteger | sa.Float):
        return 0
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.LargeBinary):
        return b""
    return "x"


def _insert(connection: sa.Connection, table: str, **values: object) -> None:
    reflected = sa.Table(table, sa.MetaData(), autoload_with=connection)
    row = {c.name: _filler(c) for c in reflected.columns if not c.nullable and c.server_default is None}
    row.update(values)
    connection.execute(reflected.insert().values(**row))


def test_orphan_evidence_is_listed_and_the_upgrade_refused_until_resolved(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(engine, "0002")
    with engine.begin() as connection:
        _insert(connection, "evidence_items", id="evd_orphan", case_id="case_gone", state="sealed")
        _insert(connection, "legal_holds", id="hld_orphan", case_id="case_gone2", evidence_id=None)
    with pytest.raises(ConfigurationError) as refused:
        upgrade(engine)
    message = str(refused.value)
    assert "evd_orphan (case 'case_gone')" in message
    assert "hld_orphan (case 'case_gone2')" in message
    assert current(engine) == "0002"  # nothing half-applied

    with engine.begin() as connection:  # the operator resolves them: here, by removing the stray rows
        connection.execute(sa.text("DELETE FROM legal_holds WHERE id = 'hld_orphan'"))
        connection.execute(sa.text("DELETE FROM evidence_items WHERE id = 'evd_orphan'"))
    upgrade(engine)
    assert (current(engine) or "") >= "0003"
    foreign = sa.inspect(engine).get_foreign_keys("evidence_items")
    assert any(fk["referred_table"] == "cases" and fk["constrained_columns"] == ["case_id"] for fk in foreign)
    engine.dispose()
