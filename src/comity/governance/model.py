"""Governed documents: every version of the taxonomy, a jurisdiction profile or an agreement, and where it
stands in its approval.

A change takes effect only once an oversight body approves it (the founding brief's guard against mission
creep). Rows are never edited in substance: a correction is a new version; a version's content and hash are
fixed when it is proposed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlalchemy import CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base
from comity.errors import IllegalTransition


class DocumentKind(StrEnum):
    """What a governed document is; the key names one document of a kind across its versions."""

    TAXONOMY = "taxonomy"  # key: "taxonomy" (one per node)
    JURISDICTION = "jurisdiction"  # key: ISO 3166 code
    AGREEMENT = "agreement"  # key: agreement id


class DocumentStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


S = DocumentStatus

#: The approval state machine. A proposal is approved or rejected by oversight, or superseded when a later
#: version is approved first; an approved version is superseded by the next approved one. Rejected and
#: superseded are final: history is never rewritten.
TRANSITIONS: MappingProxyType[DocumentStatus, frozenset[DocumentStatus]] = MappingProxyType(
    {
        S.PROPOSED: frozenset({S.APPROVED, S.REJECTED, S.SUPERSEDED}),
        S.APPROVED: frozenset({S.SUPERSEDED}),
        S.REJECTED: frozenset(),
        S.SUPERSEDED: frozenset(),
    }
)

#: The verb each transition is asked for by (as IllegalTransition names it).
VERBS: MappingProxyType[DocumentStatus, str] = MappingProxyType(
    {S.APPROVED: "approve", S.REJECTED: "reject", S.SUPERSEDED: "supersede"}
)

#: The fixed key of the one taxonomy document.
TAXONOMY_KEY = "taxonomy"


class GovernedDocument(Base):
    """One version of a governed document."""

    __tablename__ = "governed_documents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # DocumentKind
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]]  # the validated document, as JSON
    content_sha256: Mapped[str] = mapped_column(String(64))  # of the canonical JSON of content
    status: Mapped[str] = mapped_column(String(20))  # DocumentStatus
    proposed_by: Mapped[str] = mapped_column(String(120))
    proposed_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    superseded_at: Mapped[datetime | None]
    superseded_by: Mapped[str | None] = mapped_column(String(40))  # id of the version that replaced it

    __table_args__ = (
        UniqueConstraint("kind", "key", "version"),
        CheckConstraint("kind IN ('taxonomy', 'jurisdiction', 'agreement')", name="kind_known"),
        CheckConstraint("status IN ('proposed', 'approved', 'rejected', 'superseded')", name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_governed_documents_kind_status", "kind", "status"),
    )

    @property
    def subject(self) -> str:
        """How errors and pages name this version: ``agreement eev-eu5 v2``."""
        return f"{self.kind} {self.key} v{self.version}"

    def ensure_can(self, target: DocumentStatus) -> None:
        """Raise :class:`IllegalTransition` unless the state machine allows moving to ``target``."""
        current = DocumentStatus(self.status)
        allowed = TRANSITIONS[current]
        if target not in allowed:
            raise IllegalTransition(
                self.subject, current.value, VERBS[target], sorted(VERBS[s] for s in allowed)
            )

    def move_to(self, target: DocumentStatus) -> None:
        """Change status if the state machine allows it; otherwise raise :class:`IllegalTransition`."""
        self.ensure_can(target)
        self.status = target.value
