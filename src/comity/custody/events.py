"""Recording custody events: state machine, signed envelope, hash chain and audit event, in one transaction.

Every custody event writes an audit event in the caller's transaction whose details carry the SHA-256 of
the signed envelope and of the evidence bytes (ids and hashes only). The transparency log's leaves are
audit events, so the inclusion of that leaf proves the custody event to anyone holding the envelope.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.audit import service as audit
from comity.clock import Clock, ensure_utc
from comity.custody.actors import Actor
from comity.custody.model import CustodyEvent, EvidenceItem
from comity.custody.payload import (
    AUDIT_ENVELOPE_KEY,
    AUDIT_EVENT_KEY,
    AUDIT_EVIDENCE_KEY,
    AUDIT_SUBJECT_TYPE,
    AUDIT_TAG_PREFIX,
    SALT_BYTES,
    CustodyPayload,
    EvidenceFacts,
    commitment,
    envelope_digest,
)
from comity.custody.states import CustodyAction, CustodyState, next_state
from comity.errors import FieldError, InvalidInput, NotFound
from comity.ids import new_id
from comity.signing.envelope import PayloadType, sign
from comity.signing.payload import truncate_to_second

NOTE_LIMIT = 2000


def lock_item(session: Session, evidence_id: str) -> EvidenceItem:
    """The item ``evidence_id``, locked for this transaction (the chain is extended one writer at a time)."""
    item = session.get(EvidenceItem, evidence_id, with_for_update=True)
    if item is None:
        raise NotFound(f"no evidence {evidence_id[:80]!r}")
    return item


def current_state(item: EvidenceItem) -> CustodyState | None:
    """The item's custody state, or None before its first event."""
    return CustodyState(item.state) if item.event_count else None


def _check_times(
    now: datetime, started_at: datetime | None, ended_at: datetime | None
) -> tuple[datetime | None, datetime | None]:
    start = truncate_to_second(ensure_utc(started_at)) if started_at else None
    end = truncate_to_second(ensure_utc(ended_at)) if ended_at else None
    errors = []
    if start is not None and start > now:
        errors.append(FieldError("started_at", "in the future"))
    if end is not None and end > now:
        errors.append(FieldError("ended_at", "in the future"))
    if start is not None and end is not None and end < start:
        errors.append(FieldError("ended_at", "before started_at"))
    if errors:
        raise InvalidInput("custody times are not consistent", errors)
    return start, end


def record_event(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    item: EvidenceItem,
    action: CustodyAction,
    note: str | None = None,
    counterparty: str | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    personal_commitment: str | None = None,
    facts: EvidenceFacts | None = None,
) -> CustodyEvent:
    """Append ``action`` to the chain of ``item`` (locked by the caller), signed by ``actor``.

    ``note`` is personal data kept beside the event and committed to with a fresh salt;
    ``personal_commitment`` and ``facts`` are given by intake for the ``collected`` event only.
    Raises :class:`comity.errors.IllegalTransition` when the state machine refuses the action.
    """
    following = next_state(current_state(item), action, subject=f"evidence {item.id}")
    now = truncate_to_second(ensure_utc(clock.now()))
    start, end = _check_times(now, started_at, ended_at)
    if note is not None and (not note.strip() or len(note) > NOTE_LIMIT):
        raise InvalidInput("a note is 1 to 2000 characters", [FieldError("note", "length")])
    salt: bytes | None = None
    if note is not None:
        if personal_commitment is not None:
            raise ValueError("an event commits either to its note or to the item's personal data")
        salt = secrets.token_bytes(SALT_BYTES)
        personal_commitment = commitment(salt, {"note": note})
    seq = item.event_count + 1
    event_id = new_id("cev")
    payload = CustodyPayload(
        event=event_id,
        evidence=item.id,
        sha256=item.sha256,
        size=item.size_bytes,
        seq=seq,
        action=action,
        occurred_at=now,
        actor=actor.ref,
        jurisdiction=actor.jurisdiction,
        organisation=actor.organisation,
        case=item.case_id,
        previous=item.head_sha256,
        started_at=start,
        ended_at=end,
        commitment=personal_commitment,
        counterparty=counterparty,
        facts=facts,
    )
    envelope_json = sign(payload.to_payload(), PayloadType.CUSTODY_EVENT, actor.signer).to_json()
    digest = envelope_digest(envelope_json)
    trail = audit.record(
        session,
        clock=clock,
        actor=actor.audit_actor,
        tag=f"{AUDIT_TAG_PREFIX}{action.value}",
        subject_type=AUDIT_SUBJECT_TYPE,
        subject_id=item.id,
        details={
            AUDIT_EVENT_KEY: event_id,
            "seq": seq,
            AUDIT_ENVELOPE_KEY: digest,
            AUDIT_EVIDENCE_KEY: item.sha256,
            "case": item.case_id,
        },
    )
    # The event row references both the item and the audit row: write those first.
    session.flush()
    event = CustodyEvent(
        id=event_id,
        evidence_id=item.id,
        seq=seq,
        action=action.value,
        occurred_at=now,
        actor=actor.ref,
        keyid=actor.signer.keyid,
        envelope=envelope_json.decode("utf-8"),
        envelope_sha256=digest,
        previous_sha256=item.head_sha256,
        audit_event_id=trail.id,
        counterparty=counterparty,
        note=note,
        note_salt=salt.hex() if salt else None,
        purged_at=None,
    )
    session.add(event)
    item.state = following.value
    item.event_count = seq
    item.head_sha256 = digest
    session.flush()
    return event


def events_of(session: Session, evidence_id: str) -> list[CustodyEvent]:
    """The chain of one item, first event first."""
    stmt = select(CustodyEvent).where(CustodyEvent.evidence_id == evidence_id).order_by(CustodyEvent.seq)
    return list(session.scalars(stmt))
