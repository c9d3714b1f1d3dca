"""Federation exchange: message dispatch, request mirrors, evidence transfers, shared pseudonym keys.

Existing rows get defaults for the new NOT NULL columns (``mirror`` false, ``handling_attempts`` 0).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 02:52:08.773894
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import comity.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "federation_pseudonym_keys",
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("agreement_version", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("origin", sa.String(length=2), nullable=False),
        sa.Column("created_at", comity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", comity.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "agreement_id", "agreement_version", "generation", name=op.f("pk_federation_pseudonym_keys")
        ),
    )
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("federated_with", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("mirror", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_node", sa.String(length=2), nullable=True))

    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_node", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("origin_evidence_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("origin_head_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("retracted_at", comity.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("federation_received", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handling_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("handling_error", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("handling_failed_at", comity.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("retracted_at", comity.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_federation_received_pending", ["retrieved_at", "handling_failed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("federation_received", schema=None) as batch_op:
        batch_op.drop_index("ix_federation_received_pending")
        batch_op.drop_column("retracted_at")
        batch_op.drop_column("handling_failed_at")
        batch_op.drop_column("handling_error")
        batch_op.drop_column("handling_attempts")

    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.drop_column("retracted_at")
        batch_op.drop_column("origin_head_sha256")
        batch_op.drop_column("origin_evidence_id")
        batch_op.drop_column("origin_node")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("origin_node")

    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.drop_column("mirror")
        batch_op.drop_column("federated_with")

    op.drop_table("federation_pseudonym_keys")
