"""Tables of the evidence vault: items, their custody events, and legal holds.

Evidence bytes live in the content-addressed store; a row holds the address (SHA-256), the metadata and the
custody state. Columns marked *personal* are purged at the end of retention, together with the salt of
their commitment; what stays is a tombstone (hash, ``purged_at``, ``purge_reason``) and the signed events,
which hold ids and hashes only. Case ids are plain strings: cases are another capability's table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comity.custody.states import CustodyAction, CustodyState
from comity.db import Base


def _in(column: str, values: type[CustodyAction] | type[CustodyState]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class EvidenceItem(Base):
    """One piece of evidence: its address in the store, metadata, custody state and tombstone."""

    __tablename__ = "evidence_items"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    kind: Mapped[str] = mapped_column(String(40))
    media_type: Mapped[str] = mapped_column(String(120))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    data_category: Mapped[str] = mapped_column(String(20))  # comity.kinds.DataCategory
    tlp: Mapped[str] = mapped_column(String(20))  # comity.transport.tlp.Tlp
    legal_authority: Mapped[str] = mapped_column(String(200))  # e.g. a warrant reference
    jurisdiction: Mapped[str] = mapped_column(String(2))
    collected_by: Mapped[str] = mapped_column(String(40))  # user id of the collecting officer
    collected_by_org: Mapped[str] = mapped_column(String(40))
    collected_at: Mapped[datetime]
    retention_until: Mapped[datetime] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(20))
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    head_sha256: Mapped[str | None] = mapped_column(String(64))  # envelope hash of the last event
    # personal: where it came from, what it was called, what it shows; committed to in `collected`
    source: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    personal_salt: Mapped[str | None] = mapped_column(String(64))  # hex; deleted with the data
    # tombstone
    purged_at: Mapped[datetime | None]
    purge_reason: Mapped[str | None] = mapped_column(String(200))
    #: An item received from another node: that node, its item id and the head of its chain at transfer.
    origin_node: Mapped[str | None] = mapped_column(String(2))
    origin_evidence_id: Mapped[str | None] = mapped_column(String(40))
    origin_head_sha256: Mapped[str | None] = mapped_column(String(64))
    #: The originating node retracted it: its content may no longer be used or shared.
    retracted_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(_in("state", CustodyState), name="state_known"),
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
        CheckConstraint(
            "(purged_at IS NULL) OR (source IS NULL AND filename IS NULL AND description IS NULL "
            "AND personal_salt IS NULL)",
            name="purged_has_no_personal_data",
        ),
    )


class CustodyEvent(Base):
    """One signed custody event, kept byte for byte; append-only (the note is purged with retention)."""

    __tablename__ = "custody_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(60))  # user id, or node:<jurisdiction>
    keyid: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[str] = mapped_column(Text)  # the envelope JSON exactly as signed
    envelope_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    previous_sha256: Mapped[str | None] = mapped_column(String(64))
    audit_event_id: Mapped[str] = mapped_column(ForeignKey("audit_events.id"), unique=True)
    counterparty: Mapped[str | None] = mapped_column(String(120))
    # personal: an officer's note (for `accessed`, the stated purpose); committed to in the payload
    note: Mapped[str | None] = mapped_column(Text)
    note_salt: Mapped[str | None] = mapped_column(String(64))
    purged_at: Mapped[datetime | None]

    __table_args__ = (
        # Two concurrent writers extending the same chain would fork it; the second one fails here.
        UniqueConstraint("evidence_id", "seq"),
        CheckConstraint(_in("action", CustodyAction), name="action_known"),
        CheckConstraint("seq >= 1", name="seq_positive"),
    )


class LegalHold(Base):
    """An explicit legal hold on one item or on every item of a case, until released or ``until``."""

    __tablename__ = "legal_holds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    evidence_id: Mapped[str | None] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[datetime | None]
    placed_by: Mapped[str] = mapped_column(String(40))  # user id
    placed_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(40))
    release_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("(evidence_id IS NULL) <> (case_id IS NULL)", name="one_target"),
        Index("ix_legal_holds_active", "released_at", "until"),
    )
