"""Request and response bodies of the evidence vault API."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from comity.custody.model import CustodyEvent, EvidenceItem, LegalHold
from comity.custody.states import CustodyAction


class EvidenceRead(BaseModel):
    """An evidence item: address, metadata, custody state, holds and tombstone."""

    id: str
    sha256: str = Field(description="hex SHA-256 of the bytes: the item's address in the store")
    size_bytes: int
    kind: str
    media_type: str
    case_id: str
    data_category: str
    tlp: str = Field(description="TLP 2.0 marking, e.g. amber+strict")
    legal_authority: str
    jurisdiction: str
    collected_by: str = Field(description="user id of the collecting officer")
    collected_at: datetime
    retention_until: datetime
    state: str
    event_count: int
    source: str | None
    filename: str | None
    description: str | None
    held: bool = Field(description="a legal hold keeps it past retention")
    holds: list[str]
    purged_at: datetime | None
    purge_reason: str | None
    origin_node: str | None = Field(default=None, description="the node it was received from, if any")
    origin_evidence_id: str | None = Field(default=None, description="its id on that node")
    origin_head_sha256: str | None = Field(default=None, description="that node's chain head at transfer")
    retracted_at: datetime | None = Field(default=None, description="retracted by its originating node")

    @classmethod
    def of(cls, item: EvidenceItem, holds: list[str]) -> EvidenceRead:
        """Build from a row and its hold reasons."""
        return cls(
            id=item.id,
            sha256=item.sha256,
            size_bytes=item.size_bytes,
            kind=item.kind,
            media_type=item.media_type,
            case_id=item.case_id,
            data_category=item.data_category,
            tlp=item.tlp,
            legal_authority=item.legal_authority,
            jurisdiction=item.jurisdiction,
            collected_by=item.collected_by,
            collected_at=item.collected_at,
            retention_until=item.retention_until,
            state=item.state,
            event_count=item.event_count,
            source=item.source,
            filename=item.filename,
            description=item.description,
            held=bool(holds),
            holds=holds,
            purged_at=item.purged_at,
            purge_reason=item.purge_reason,
            origin_node=item.origin_node,
            origin_evidence_id=item.origin_evidence_id,
            origin_head_sha256=item.origin_head_sha256,
            retracted_at=item.retracted_at,
        )


class CustodyEventRead(BaseModel):
    """One custody event with its signed envelope (DSSE JSON)."""

    id: str
    evidence_id: str
    seq: int
    action: str
    occurred_at: datetime
    actor: str = Field(description="user id, or node:<jurisdiction>")
    keyid: str
    envelope_sha256: str
    previous_sha256: str | None
    audit_event_id: str
    counterparty: str | None
    note: str | None
    envelope: dict[str, Any]

    @classmethod
    def of(cls, event: CustodyEvent) -> CustodyEventRead:
        """Build from a row."""
        return cls(
            id=event.id,
            evidence_id=event.evidence_id,
            seq=event.seq,
            action=event.action,
            occurred_at=event.occurred_at,
            actor=event.actor,
            keyid=event.keyid,
            envelope_sha256=event.envelope_sha256,
            previous_sha256=event.previous_sha256,
            audit_event_id=event.audit_event_id,
            counterparty=event.counterparty,
            note=event.note,
            envelope=json.loads(event.envelope),
        )


class EvidenceDetail(BaseModel):
    """An item with its whole chain of custody."""

    item: EvidenceRead
    events: list[CustodyEventRead]


class CustodyEventCreate(BaseModel):
    """A custody act to record (collection is recorded by upload, destruction by ``/destroy``)."""

    model_config = ConfigDict(extra="forbid")

    action: CustodyAction
    note: str | None = Field(default=None, max_length=2000, description="personal data: purged at retention")
    counterparty: str | None = Field(
        default=None, max_length=120, description="organisation id or jurisdiction (transferred, disclosed)"
    )
    started_at: datetime | None = None
    ended_at: datetime | None = None


class DestroyRequest(BaseModel):
    """Destroy an item before its retention ends."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class HoldCreate(BaseModel):
    """A legal hold on one item or on every item of a case."""

    model_config = ConfigDict(extra="forbid")

    evidence_id: str | None = Field(default=None, max_length=40)
    case_id: str | None = Field(default=None, max_length=120)
    reason: str = Field(min_length=1, max_length=2000)
    until: datetime | None = None


class HoldRelease(BaseModel):
    """Why a hold ends early."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class HoldRead(BaseModel):
    """A legal hold."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    evidence_id: str | None
    case_id: str | None
    reason: str
    until: datetime | None
    placed_by: str
    placed_at: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None

    @classmethod
    def of(cls, hold: LegalHold) -> HoldRead:
        """Build from a row."""
        return cls.model_validate(hold)


class TransferCreate(BaseModel):
    """Transfer a sealed item to a peer node under an agreement in force with it."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=2, max_length=2, description="the peer's jurisdiction (ISO 3166 alpha-2)")
    agreement_id: str = Field(min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=1500, description="personal data: purged at retention")


class TransferRead(BaseModel):
    """The ``transferred`` custody event recorded and the id of the message carrying the item."""

    event: CustodyEventRead
    message_id: str


class RetractRequest(BaseModel):
    """Why the originating node withdraws an item it shared."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class RetractionRead(BaseModel):
    """A retraction: when, and the retraction message sent to each peer the item had gone to."""

    evidence_id: str
    retracted_at: datetime
    notified: dict[str, str] = Field(description="peer jurisdiction -> retraction message id")
    not_notified: dict[str, str] = Field(
        default_factory=dict, description="peers it went to that could not be told (removed...): peer -> why"
    )
