"""Sending evidence to a peer node, with its chain of custody.

:func:`transfer` runs in one transaction. The item must be sealed, not retracted, and its TLP must let
it go to that peer (:func:`comity.transport.tlp.onward_refusal`). The officer's signed ``transferred``
event (counterparty = the peer, note naming the message) is recorded, then an ``evidence_transfer``
message is queued through :func:`comity.federation.outbound.send` (active peer, agreement in force with it,
the egress gate: permitted data category, attachment size, signed and sealed). Its facts are the item's
non-personal facts, the head of its chain, every custody envelope of the chain so far, and the key
statements (signed by this node's pinned anchor) of the keys that signed them: an officer's key is created
on the officer's first custody act, usually after the peer imported this node's trust store, so the
receiver checks those statements against the anchor it pinned. The bytes, read hash-checked from the
vault, travel as the message's one attachment. The message is marked with the item's TLP, but never below
TLP:AMBER: evidence bytes are personal data, which the gate never lets out as GREEN or CLEAR; the item's
own marking travels signed in the facts and governs what the receiver may do with it.

The peer verifies and stores it (:mod:`comity.custody.transfer_receive`) and acknowledges it; the
originating node can later retract it (:mod:`comity.custody.retraction`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.clock import Clock
from comity.custody.access import evidence_access
from comity.custody.actors import officer_actor
from comity.custody.errors import EvidenceCorrupted
from comity.custody.events import NOTE_LIMIT, current_state, events_of, record_event
from comity.custody.model import CustodyEvent, EvidenceItem
from comity.custody.payload import JURISDICTION
from comity.custody.sharing import SUBJECT_TYPE, TRANSFER_KIND, check_shareable, message_tlp
from comity.custody.states import CustodyAction, CustodyState
from comity.custody.store import EvidenceStore
from comity.errors import FieldError, IllegalTransition, InvalidInput
from comity.federation import outbound
from comity.identity.principal import Principal
from comity.ids import new_id
from comity.keys.keystore import Keystore
from comity.keys.model import KeyStatement
from comity.transport.egress import MAX_ATTACHMENT_BYTES, Attachment, AttachmentsTooLarge, Outbound
from comity.transport.tlp import Tlp

#: Longest officer note given with a transfer (the event's note also names the message).
TRANSFER_NOTE_LIMIT = 1500


@dataclass(frozen=True, slots=True)
class Transfer:
    """A transfer queued: the signed ``transferred`` event and the id of the message carrying the item."""

    event: CustodyEvent
    message_id: str


def _read_bytes(store: EvidenceStore, item: EvidenceItem) -> bytes:
    reader = store.open(item.sha256)
    try:
        content = reader.read()  # hash-checked at the end: corrupted bytes never leave
    finally:
        reader.close()
    if len(content) != item.size_bytes:
        raise EvidenceCorrupted(
            f"stored evidence {item.sha256} is {len(content)} bytes, not {item.size_bytes}",
            sha256=item.sha256,
        )
    return content


def key_statements(session: Session, keyids: Iterable[str]) -> list[dict[str, Any]]:
    """The signed registration and revocation statements of ``keyids`` held by this node, oldest first."""
    wanted = sorted(set(keyids))
    if not wanted:
        return []
    rows = session.scalars(
        select(KeyStatement)
        .where(KeyStatement.keyid.in_(wanted))
        .order_by(KeyStatement.issued_at, KeyStatement.id)
    )
    return [json.loads(row.envelope) for row in rows]


def signers(envelopes: Iterable[Mapping[str, Any]]) -> set[str]:
    """The key ids that signed ``envelopes`` (custody envelopes as JSON objects)."""
    return {str(s.get("keyid")) for e in envelopes for s in e.get("signatures", []) if isinstance(s, dict)}


def transfer(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    store: EvidenceStore,
    principal: Principal,
    node: str,
    evidence_id: str,
    to: str,
    agreement_id: str,
    note: str | None = None,
) -> Transfer:
    """Transfer a sealed item to the peer node of ``to`` under ``agreement_id`` (see the module docstring)."""
    recipient = to.strip().upper()
    if not JURISDICTION.match(recipient) or recipient == node:
        raise InvalidInput("not a peer", [FieldError("to", "the country code of another node")])
    if note is not None and not 1 <= len(note.strip()) <= TRANSFER_NOTE_LIMIT:
        raise InvalidInput("a note is 1 to 1500 characters", [FieldError("note", "length")])
    item = evidence_access(session, principal, evidence_id, at=clock.now(), write=True, lock=True).obj
    check_shareable(item, recipient=recipient)
    state = current_state(item)
    if state is not CustodyState.SEALED:
        raise IllegalTransition(
            f"evidence {item.id}",
            state.value if state else "not collected",
            CustodyAction.TRANSFERRED.value,
            [CustodyAction.SEALED.value] if state is CustodyState.OPEN else [],
        )
    if item.size_bytes > MAX_ATTACHMENT_BYTES:
        raise AttachmentsTooLarge(
            f"evidence {item.id} is {item.size_bytes} bytes; a message to a peer carries at most "
            f"{MAX_ATTACHMENT_BYTES} bytes (larger items need a chunked channel)",
            path="attachments",
            limit=MAX_ATTACHMENT_BYTES,
        )
    content = _read_bytes(store, item)
    actor = officer_actor(session, clock=clock, keystore=keystore, principal=principal)
    message_id = new_id("msg")
    text = f"sent to {recipient} as message {message_id} under agreement {agreement_id}"
    if note is not None:
        text = f"{text}: {note.strip()}"
    event = record_event(
        session,
        clock=clock,
        actor=actor,
        item=item,
        action=CustodyAction.TRANSFERRED,
        note=text[:NOTE_LIMIT],
        counterparty=recipient,
    )
    envelopes = [json.loads(e.envelope) for e in events_of(session, item.id)]
    facts: dict[str, Any] = {
        "evidence_id": item.id,
        "case_id": item.case_id,
        "kind": item.kind,
        "data_category": item.data_category,
        "tlp": item.tlp,
        "media_type": item.media_type,
        "legal_authority": item.legal_authority,
        "sha256": item.sha256,
        "size": item.size_bytes,
        "head": item.head_sha256,
        "events": envelopes,
        "keys": key_statements(session, signers(envelopes)),
    }
    outbound.send(
        session,
        clock=clock,
        actor=principal.actor,
        keystore=keystore,
        node=node,
        item=Outbound(
            kind=TRANSFER_KIND,
            recipient=recipient,
            tlp=message_tlp(Tlp(item.tlp)),
            facts=facts,
            attachments=(
                Attachment(
                    name=item.id,
                    data_category=item.data_category,
                    media_type=item.media_type,
                    content=content,
                ),
            ),
            message_id=message_id,
        ),
        agreement_id=agreement_id,
        subject_type=SUBJECT_TYPE,
        subject_id=item.id,
    )
    return Transfer(event=event, message_id=message_id)
