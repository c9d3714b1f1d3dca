"""JSON shapes of governance: proposals of new document versions and oversight decisions on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from comity.governance.model import DocumentKind, GovernedDocument


class ProposalCreate(BaseModel):
    """A new version of a document, as JSON ``content`` or as YAML ``text`` (exactly one)."""

    kind: DocumentKind
    content: dict[str, Any] | None = Field(default=None, description="The document as a JSON object")
    text: str | None = Field(default=None, description="The document as YAML text", max_length=1_000_000)

    @model_validator(mode="after")
    def _exactly_one(self) -> ProposalCreate:
        if (self.content is None) == (self.text is None):
            raise ValueError("give the document either as content (JSON) or as text (YAML), not both")
        return self


class DecisionNote(BaseModel):
    """An oversight decision's note: reasons for a rejection (required), remarks on an approval."""

    note: str = Field(default="", max_length=10_000)


class ProposalRead(BaseModel):
    id: str
    kind: str
    key: str
    version: int
    status: str
    content_sha256: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    superseded_by: str | None
    superseded_at: datetime | None

    @classmethod
    def of(cls, row: GovernedDocument) -> ProposalRead:
        """The JSON form of one stored version."""
        return cls(
            id=row.id,
            kind=row.kind,
            key=row.key,
            version=row.version,
            status=row.status,
            content_sha256=row.content_sha256,
            proposed_by=row.proposed_by,
            proposed_at=row.proposed_at,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
            superseded_by=row.superseded_by,
            superseded_at=row.superseded_at,
        )


class ProposalDetail(ProposalRead):
    content: dict[str, Any]

    @classmethod
    def full(cls, row: GovernedDocument) -> ProposalDetail:
        """One stored version with its content."""
        return cls(**ProposalRead.of(row).model_dump(), content=dict(row.content))
