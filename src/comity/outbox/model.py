"""The transactional outbox: every message to a platform, another jurisdiction or a person is a row written
in the same transaction as the change that causes it, and delivered afterwards by the worker."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (available_at)
    DELIVERING = "delivering"  # claimed by a worker until lease_until
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after max_attempts; an alert was raised


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(
        String(40)
    )  # which deliverer carries it: jurisdiction, platform, email
    destination: Mapped[str] = mapped_column(String(200))  # peer code, organisation id, mailbox...
    kind: Mapped[str] = mapped_column(String(80))  # message type, e.g. "request.transmitted"
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # exact bytes to send (already minimised and signed)
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(120))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    created_at: Mapped[datetime]
    available_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # delivery evidence (receipts)

    __table_args__ = (Index("ix_outbox_messages_due", "status", "available_at"),)
