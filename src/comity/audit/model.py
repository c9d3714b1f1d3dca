"""Audit events: one row per state change, written in the same transaction as the change.

Details carry ids and hashes, never personal data: the custody capability builds the node's transparency
log from these rows, and the log outlives retention purges of the data itself.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base

#: ``source:subject:action``, e.g. ``agreements:agreement:approved``.
TAG_PATTERN = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")


class AuditEvent(Base):
    __tablename__ = "audit_events"

    # Integer-compatible autoincrement on SQLite and BIGINT on PostgreSQL: the sequence orders the trail.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    tag: Mapped[str] = mapped_column(String(120))
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
        Index("ix_audit_events_tag", "tag"),
    )
