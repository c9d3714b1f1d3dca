"""Access follows the case: evidence and legal holds get a real foreign key to their case; organisations
record whether they run the node.

Evidence items and legal holds named their case by a free string, so an item could belong to a case that
does not exist. This revision refuses to run while such rows exist (it lists them: attach each item to its
real case, or destroy it under the node's procedure, then upgrade again); otherwise it makes ``case_id`` a
foreign key to ``cases.id`` (40 characters, as case ids are). ``organisations.operates_node`` starts false
everywhere: mark the organisation that runs the node with ``comity orgs operator ORG_ID``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from comity.errors import ConfigurationError

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ORPHANS = {
    "evidence_items": (
        "SELECT t.id, t.case_id FROM evidence_items t LEFT JOIN cases c ON c.id = t.case_id "
        "WHERE c.id IS NULL ORDER BY t.id"
    ),
    "legal_holds": (
        "SELECT t.id, t.case_id FROM legal_holds t LEFT JOIN cases c ON c.id = t.case_id "
        "WHERE t.case_id IS NOT NULL AND c.id IS NULL ORDER BY t.id"
    ),
}


def orphan_rows(connection: sa.Connection) -> dict[str, list[tuple[str, str]]]:
    """Rows naming a case that does not exist, per table."""
    found: dict[str, list[tuple[str, str]]] = {}
    for table, query in _ORPHANS.items():
        rows = [(str(r[0]), str(r[1])) for r in connection.execute(sa.text(query))]
        if rows:
            found[table] = rows
    return found


def upgrade() -> None:
    orphans = orphan_rows(op.get_bind())
    if orphans:
        listing = "; ".join(
            f"{table}: "
            + ", ".join(f"{row_id} (case {case_id!r})" for row_id, case_id in rows[:50])
            + (f" and {len(rows) - 50} more" if len(rows) > 50 else "")
            for table, rows in orphans.items()
        )
        raise ConfigurationError(
            "migration 0003 refused: these rows name a case that does not exist on this node: "
            f"{listing}. Attach each to its real case or remove it, then upgrade again."
        )
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.alter_column(
            "case_id", existing_type=sa.String(length=120), type_=sa.String(length=40), nullable=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_items_case_id_cases"), "cases", ["case_id"], ["id"]
        )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.alter_column(
            "case_id", existing_type=sa.String(length=120), type_=sa.String(length=40), nullable=True
        )
        batch_op.create_foreign_key(batch_op.f("fk_legal_holds_case_id_cases"), "cases", ["case_id"], ["id"])
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("operates_node", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("operates_node")
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_legal_holds_case_id_cases"), type_="foreignkey")
        batch_op.alter_column(
            "case_id", existing_type=sa.String(length=40), type_=sa.String(length=120), nullable=True
        )
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_evidence_items_case_id_cases"), type_="foreignkey")
        batch_op.alter_column(
            "case_id", existing_type=sa.String(length=40), type_=sa.String(length=120), nullable=False
        )
