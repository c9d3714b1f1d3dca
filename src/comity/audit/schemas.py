"""JSON shapes of audit events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    id: str
    occurred_at: datetime
    actor: str
    tag: str
    subject_type: str
    subject_id: str
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    next_after: int | None
