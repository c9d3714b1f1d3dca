"""Use cases of the evidence vault: collect, read (logged), record custody events, destroy.

Each function runs in the caller's transaction and takes keyword arguments only. Bytes go to the store
*before* the transaction that records them (a streamed upload must not hold the database's write lock), and
are deleted only *after* the transaction that destroyed them committed: see :func:`delete_unreferenced`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.audit import service as audit
from comity.clock import Clock, ensure_utc
from comity.custody import access, holds
from comity.custody.actors import Actor, officer_actor, require_custodian
from comity.custody.errors import EvidenceGone, EvidenceRetracted
from comity.custody.events import events_of, record_event
from comity.custody.model import CustodyEvent, EvidenceItem
from comity.custody.payload import SALT_BYTES, EvidenceFacts, commitment
from comity.custody.states import CustodyAction, CustodyState
from comity.custody.store import EvidenceStore, StoredBlob
from comity.errors import Conflict, FieldError, InvalidInput, NotFound
from comity.identity.principal import Principal
from comity.ids import new_id
from comity.keys.keystore import Keystore
from comity.kinds import DataCategory
from comity.signing.payload import truncate_to_second
from comity.transport.tlp import Tlp

CASE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,119}$")
COUNTERPARTY_PATTERN = CASE_ID_PATTERN
MEDIA_TYPE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")

#: Actions recorded through :func:`record_action`: collection happens at upload, destruction deletes bytes.
RECORDABLE = frozenset(CustodyAction) - {CustodyAction.COLLECTED, CustodyAction.DESTROYED}
#: Actions that say who received the item or a copy: they must name the counterparty.
NEEDS_COUNTERPARTY = frozenset({CustodyAction.TRANSFERRED, CustodyAction.DISCLOSED})


class EvidenceKind(StrEnum):
    """What a piece of evidence is (Comity's own vocabulary; CASE exports map it to a File)."""

    WEBPAGE_CAPTURE = "webpage_capture"
    SCREENSHOT = "screenshot"
    DOCUMENT = "document"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DEVICE_IMAGE = "device_image"
    TRANSACTION_RECORD = "transaction_record"
    COMMUNICATION = "communication"
    DATASET = "dataset"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class NewEvidence:
    """Metadata given with an upload. ``source``, ``filename`` and ``description`` are personal data."""

    kind: EvidenceKind
    case_id: str
    data_category: DataCategory
    tlp: Tlp
    legal_authority: str
    retention_until: datetime
    media_type: str = "application/octet-stream"
    source: str | None = None
    filename: str | None = None
    description: str | None = None


def check_new_evidence(metadata: NewEvidence, *, now: datetime) -> None:
    """Refuse metadata before any byte is read: every field path at fault is named."""
    errors: list[FieldError] = []
    if not CASE_ID_PATTERN.match(metadata.case_id):
        errors.append(FieldError("case_id", "1-120 letters, digits and . _ : -"))
    if not metadata.legal_authority.strip() or len(metadata.legal_authority) > 200:
        errors.append(FieldError("legal_authority", "1 to 200 characters: the warrant, order or statute"))
    if ensure_utc(metadata.retention_until) <= now:
        errors.append(FieldError("retention_until", "must be in the future"))
    if not MEDIA_TYPE_PATTERN.match(metadata.media_type):
        errors.append(FieldError("media_type", "not a media type (type/subtype)"))
    for name, limit in (("source", 4000), ("filename", 255), ("description", 4000)):
        value = getattr(metadata, name)
        if value is not None and not 1 <= len(value) <= limit:
            errors.append(FieldError(name, f"1 to {limit} characters"))
    if errors:
        raise InvalidInput("the evidence metadata is not acceptable", errors)


def personal_fields(item: EvidenceItem) -> dict[str, str | None]:
    """The personal data of an item, as committed to in its ``collected`` event."""
    return {"source": item.source, "filename": item.filename, "description": item.description}


def collect(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    principal: Principal,
    node_jurisdiction: str,
    blob: StoredBlob,
    metadata: NewEvidence,
) -> EvidenceItem:
    """Record uploaded bytes as a new evidence item of an open case, with its signed ``collected`` event."""
    require_custodian(principal, node_jurisdiction=node_jurisdiction)
    now = truncate_to_second(ensure_utc(clock.now()))
    check_new_evidence(metadata, now=now)
    access.case_for_evidence(session, principal, metadata.case_id, at=clock.now(), write=True)
    actor = officer_actor(session, clock=clock, keystore=keystore, principal=principal)
    salt = secrets.token_bytes(SALT_BYTES)
    item = EvidenceItem(
        id=new_id("evd"),
        sha256=blob.sha256,
        size_bytes=blob.size,
        kind=metadata.kind.value,
        media_type=metadata.media_type,
        case_id=metadata.case_id,
        data_category=metadata.data_category.value,
        tlp=metadata.tlp.value,
        legal_authority=metadata.legal_authority.strip(),
        jurisdiction=node_jurisdiction,
        collected_by=principal.user_id,
        collected_by_org=principal.organisation_id,
        collected_at=now,
        retention_until=ensure_utc(metadata.retention_until),
        state=CustodyState.OPEN.value,
        event_count=0,
        head_sha256=None,
        source=metadata.source,
        filename=metadata.filename,
        description=metadata.description,
        personal_salt=salt.hex(),
        purged_at=None,
        purge_reason=None,
    )
    session.add(item)
    facts = EvidenceFacts(
        kind=item.kind,
        data_category=item.data_category,
        tlp=item.tlp,
        media_type=item.media_type,
        legal_authority=item.legal_authority,
    )
    record_event(
        session,
        clock=clock,
        actor=actor,
        item=item,
        action=CustodyAction.COLLECTED,
        personal_commitment=commitment(salt, personal_fields(item)),
        facts=facts,
    )
    return item


def get_item(session: Session, evidence_id: str) -> EvidenceItem:
    """The item ``evidence_id`` or :class:`NotFound`."""
    item = session.get(EvidenceItem, evidence_id)
    if item is None:
        raise NotFound(f"no evidence {evidence_id[:80]!r}")
    return item


def read_item(
    session: Session, *, clock: Clock, principal: Principal, evidence_id: str
) -> tuple[EvidenceItem, list[CustodyEvent]]:
    """An item's metadata and chain, for the readers of its case; the read is audited (personal data)."""
    granted = access.evidence_access(session, principal, evidence_id, at=clock.now())
    item = granted.obj
    audit.record(
        session,
        clock=clock,
        actor=principal.actor,
        tag="custody:evidence:read",
        subject_type="evidence",
        subject_id=item.id,
        details={"case": item.case_id, **granted.grant.as_details()},
    )
    return item, events_of(session, item.id)


def list_for_case(
    session: Session, *, clock: Clock, principal: Principal, node_jurisdiction: str, case_id: str
) -> Sequence[EvidenceItem]:
    """The items of a case, for its readers among the node's custodians; the listing is audited."""
    granted = access.case_for_evidence(session, principal, case_id, at=clock.now(), write=False)
    require_custodian(principal, node_jurisdiction=node_jurisdiction)
    stmt = select(EvidenceItem).where(EvidenceItem.case_id == case_id).order_by(EvidenceItem.collected_at)
    items = session.scalars(stmt).all()
    for item in items:
        require_custodian(principal, node_jurisdiction=item.jurisdiction)
    audit.record(
        session,
        clock=clock,
        actor=principal.actor,
        tag="custody:case:listed",
        subject_type="case",
        subject_id=case_id,
        details={"items": len(items), **granted.grant.as_details()},
    )
    return items


def open_content(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    principal: Principal,
    evidence_id: str,
    purpose: str | None = None,
) -> EvidenceItem:
    """Record that ``principal`` accesses the bytes (a signed ``accessed`` event) and return the item.

    The caller streams the bytes from the store after this transaction committed.
    """
    item = access.evidence_access(session, principal, evidence_id, at=clock.now(), lock=True).obj
    if item.state == CustodyState.DESTROYED.value:
        raise EvidenceGone(f"evidence {item.id} was destroyed; only its record remains")
    refuse_if_retracted(item)
    actor = officer_actor(session, clock=clock, keystore=keystore, principal=principal)
    record_event(session, clock=clock, actor=actor, item=item, action=CustodyAction.ACCESSED, note=purpose)
    return item


def refuse_if_retracted(item: EvidenceItem) -> None:
    """Refuse the content of an item received from another node that the originating node retracted.

    The originator's own retraction withdraws what it shared, not its own evidence: it may still read it
    (it may no longer share it: ``comity.custody.sharing.check_shareable``).
    """
    if item.retracted_at is not None and item.origin_node is not None:
        raise EvidenceRetracted(
            f"evidence {item.id} was retracted by {item.origin_node}, the node it came from: its content "
            "may no longer be used"
        )


def record_action(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    principal: Principal,
    evidence_id: str,
    action: CustodyAction,
    note: str | None = None,
    counterparty: str | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
) -> CustodyEvent:
    """Record a custody act by an officer or judge (sealed, transferred, received, analysed...)."""
    if action not in RECORDABLE:
        raise InvalidInput(
            f"{action.value} is recorded by {'upload' if action is CustodyAction.COLLECTED else 'destroy'}",
            [FieldError("action", "not recordable here")],
        )
    if action in NEEDS_COUNTERPARTY and counterparty is None:
        raise InvalidInput(
            f"{action.value} names who received the evidence",
            [FieldError("counterparty", "required: organisation id or jurisdiction")],
        )
    if counterparty is not None and not COUNTERPARTY_PATTERN.match(counterparty):
        raise InvalidInput("not an id", [FieldError("counterparty", "an organisation id or jurisdiction")])
    granted = access.evidence_access(
        session, principal, evidence_id, at=clock.now(), write=True, act=action, lock=True
    )
    item = granted.obj
    actor = officer_actor(session, clock=clock, keystore=keystore, principal=principal)
    return record_event(
        session,
        clock=clock,
        actor=actor,
        item=item,
        action=action,
        note=note,
        counterparty=counterparty,
        started_at=started_at,
        ended_at=ended_at,
    )


def destroy(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    item: EvidenceItem,
    note: str | None,
    deliberate: bool = False,
) -> CustodyEvent:
    """Record the destruction of ``item`` (locked) unless a legal hold protects it.

    ``deliberate``: decided by the case's officers (retention-only holds such as an open case do not
    stop it). The bytes are deleted by :func:`delete_unreferenced` once this transaction committed.
    """
    reasons = holds.hold_reasons(session, item, at=clock.now(), deliberate=deliberate)
    if reasons:
        raise Conflict(f"evidence {item.id} is under legal hold: {'; '.join(reasons)}", holds=reasons)
    return record_event(
        session, clock=clock, actor=actor, item=item, action=CustodyAction.DESTROYED, note=note
    )


def destroy_by_officer(
    session: Session, *, clock: Clock, keystore: Keystore, principal: Principal, evidence_id: str, reason: str
) -> CustodyEvent:
    """An officer or judge destroys an item before its retention ends (e.g. found irrelevant, ordered)."""
    item = access.evidence_access(session, principal, evidence_id, at=clock.now(), write=True, lock=True).obj
    actor = officer_actor(session, clock=clock, keystore=keystore, principal=principal)
    return destroy(session, clock=clock, actor=actor, item=item, note=reason, deliberate=True)


def delete_unreferenced(session: Session, *, store: EvidenceStore, sha256: str) -> bool:
    """Delete the bytes ``sha256`` unless an item not yet destroyed still references them.

    Content addressing shares one blob between identical uploads, so bytes go only with their last holder.
    Run after the destroying transaction committed; safe to run again (a crash in between is repaired).
    """
    live = session.scalar(
        select(EvidenceItem.id)
        .where(EvidenceItem.sha256 == sha256, EvidenceItem.state != CustodyState.DESTROYED.value)
        .limit(1)
    )
    if live is not None:
        return False
    return store.delete(sha256)


def sweep_destroyed_bytes(session: Session, *, store: EvidenceStore) -> int:
    """Delete bytes left behind by destroyed items (a crash between commit and deletion); returns a count."""
    digests = session.scalars(
        select(EvidenceItem.sha256).where(EvidenceItem.state == CustodyState.DESTROYED.value).distinct()
    ).all()
    return sum(
        1
        for digest in digests
        if store.exists(digest) and delete_unreferenced(session, store=store, sha256=digest)
    )


def discard_upload(session: Session, *, store: EvidenceStore, blob: StoredBlob) -> None:
    """Remove the bytes of an upload whose recording failed, unless an item already holds the same bytes."""
    referenced = session.scalar(select(EvidenceItem.id).where(EvidenceItem.sha256 == blob.sha256).limit(1))
    if referenced is None:
        store.delete(blob.sha256)
