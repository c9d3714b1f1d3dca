"""Alerts: one model that every capability raises into (conflicts, split views, failed deliveries...)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base


class AlertSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertAudience(StrEnum):
    """Who must see an alert: the officers of a jurisdiction, judges, administrators, oversight..."""

    OFFICERS = "officers"
    JUDGES = "judges"
    PLATFORMS = "platforms"
    ADMINISTRATORS = "administrators"
    OVERSIGHT = "oversight"


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))  # e.g. coordination_conflict, delivery_failed, overdue
    severity: Mapped[str] = mapped_column(String(10))
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(120))
    audience: Mapped[str] = mapped_column(String(20))
    jurisdiction: Mapped[str | None] = mapped_column(String(2))  # None: every jurisdiction on this node
    message: Mapped[str] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (Index("ix_alerts_open", "acknowledged_at", "audience"),)
