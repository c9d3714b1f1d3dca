"""Retracting evidence this node shared with peer nodes, and receiving a peer's retraction.

:func:`retract` is for the originating node only. The item is marked ``retracted_at`` and an audit event
is recorded (not a custody event: custody of the bytes does not change, and the custody actions are a
closed, signed vocabulary). A ``retraction`` message goes to every peer the item was transferred to. A
receiver (the ``retraction`` handler) marks its copy retracted (its content can no longer be opened through
the API, nor transferred), alerts its officers and passes the retraction on to every node it forwarded
the item to.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.alerts.model import AlertAudience, AlertSeverity
from comity.alerts.service import raise_alert
from comity.audit import service as audit
from comity.clock import Clock, ensure_utc
from comity.custody.access import evidence_access
from comity.custody.errors import TransferNotVerified
from comity.custody.events import NOTE_LIMIT, events_of
from comity.custody.model import EvidenceItem
from comity.custody.payload import ID_PATTERN
from comity.custody.sharing import MESSAGE_TLP_FLOOR, RETRACTION_KIND, SUBJECT_TYPE, TRANSFER_KIND
from comity.custody.states import CustodyAction
from comity.errors import ComityError, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from comity.federation import outbound
from comity.federation.dispatch import HandlerContext, register_handler
from comity.federation.model import ReceivedMessage
from comity.identity.principal import SYSTEM_ACTOR, Principal
from comity.keys.keystore import Keystore
from comity.outbox.model import OutboxMessage
from comity.signing.envelope import Envelope
from comity.signing.payload import Fields, truncate_to_second
from comity.transport.egress import Outbound


@dataclass(frozen=True, slots=True)
class Retraction:
    """A retraction recorded: the item and the retraction message sent to each peer (peer -> message id)."""

    item: EvidenceItem
    messages: dict[str, str]
    #: Peers it went to that could not be told (removed, agreement ended): peer -> why.
    not_notified: dict[str, str]


def _header(payload: bytes) -> dict[str, Any]:
    return dict(json.loads(Envelope.from_json(payload).payload))


def transferred_to(session: Session, item: EvidenceItem) -> dict[str, str]:
    """The peers ``item`` was sent to as a federated transfer, each with the agreement it went under."""
    peers = {
        e.counterparty
        for e in events_of(session, item.id)
        if e.action == CustodyAction.TRANSFERRED.value and e.counterparty
    }
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.subject_type == SUBJECT_TYPE,
            OutboxMessage.subject_id == item.id,
            OutboxMessage.kind == TRANSFER_KIND,
        )
        .order_by(OutboxMessage.created_at)
    )
    found: dict[str, str] = {}
    for row in rows:
        if row.destination in peers:
            found[row.destination] = str(_header(row.payload)["agreement"]["id"])
    return found


def _send_retractions(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    keystore: Keystore,
    node: str,
    item: EvidenceItem,
    reason: str,
) -> tuple[dict[str, str], dict[str, str]]:
    """Queue a retraction to every peer ``item`` went to: (peer -> message id, peer -> why not sent).

    A peer that can no longer be written to (removed, agreement ended) does not stop the others; it is
    named in the audit event and to the caller.
    """
    sent: dict[str, str] = {}
    failed: dict[str, str] = {}
    for peer, agreement_id in sorted(transferred_to(session, item).items()):
        try:
            prepared, _ = outbound.send(
                session,
                clock=clock,
                actor=actor,
                keystore=keystore,
                node=node,
                item=Outbound(
                    kind=RETRACTION_KIND,
                    recipient=peer,
                    tlp=MESSAGE_TLP_FLOOR,
                    facts={
                        "origin_evidence_id": item.id,
                        "sha256": item.sha256,
                        "retracted_at": item.retracted_at.isoformat() if item.retracted_at else None,
                        "reason": reason,
                    },
                ),
                agreement_id=agreement_id,
                subject_type=SUBJECT_TYPE,
                subject_id=item.id,
            )
        except ComityError as exc:  # checked before anything is written
            failed[peer] = exc.detail[:300]
            continue
        sent[peer] = prepared.message_id
    return sent, failed


def _audit_retraction(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    item: EvidenceItem,
    reason: str,
    sent: dict[str, str],
    failed: dict[str, str],
) -> None:
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag="custody:evidence:retracted",
        subject_type=SUBJECT_TYPE,
        subject_id=item.id,
        details={
            "case": item.case_id,
            "evidence_sha256": item.sha256,
            "origin_node": item.origin_node,
            # the reason is free text: the log holds its hash, the messages and alerts the text
            "reason_sha256": hashlib.sha256(reason.encode("utf-8")).hexdigest(),
            "notified": sent,
            "not_notified": sorted(failed),
        },
    )


def retract(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    principal: Principal,
    node: str,
    evidence_id: str,
    reason: str,
) -> Retraction:
    """The originating node withdraws an item it shared: marked, audited, and every recipient told."""
    if not 1 <= len(reason.strip()) <= NOTE_LIMIT:
        raise InvalidInput("a reason is 1 to 2000 characters", [FieldError("reason", "length")])
    item = evidence_access(session, principal, evidence_id, at=clock.now(), write=True, lock=True).obj
    if item.origin_node is not None:
        raise Forbidden(
            f"evidence {item.id} came from {item.origin_node}: only the originating node retracts it",
            rule="retraction-by-originator-only",
        )
    if item.retracted_at is not None:
        raise Conflict(f"evidence {item.id} was already retracted")
    item.retracted_at = truncate_to_second(ensure_utc(clock.now()))
    sent, failed = _send_retractions(
        session, clock=clock, actor=principal.actor, keystore=keystore, node=node, item=item, reason=reason
    )
    _audit_retraction(
        session, clock=clock, actor=principal.actor, item=item, reason=reason, sent=sent, failed=failed
    )
    return Retraction(item=item, messages=sent, not_notified=failed)


@register_handler(RETRACTION_KIND)
def receive_retraction(session: Session, context: HandlerContext, message: ReceivedMessage) -> None:
    """The node an item came from retracted it: mark the copy, alert the officers, pass it on."""
    fields = Fields(message.body.get("facts"), path="facts", error=TransferNotVerified)
    fields.only(("origin_evidence_id", "sha256", "retracted_at", "reason"))
    origin_id = fields.text("origin_evidence_id", pattern=ID_PATTERN)
    reason = fields.text("reason")[:NOTE_LIMIT]
    items = session.scalars(
        select(EvidenceItem)
        .where(EvidenceItem.origin_node == message.sender, EvidenceItem.origin_evidence_id == origin_id)
        .with_for_update()
    ).all()
    if not items:
        # The transfer may still be on its way (retried delivery): the dispatcher retries this later.
        raise NotFound(f"{message.sender} retracted its evidence {origin_id}, which this node does not hold")
    for item in items:
        if item.retracted_at is not None:
            continue
        item.retracted_at = truncate_to_second(ensure_utc(context.now))
        sent, failed = _send_retractions(
            session,
            clock=context.clock,
            actor=SYSTEM_ACTOR,
            keystore=context.keystore,
            node=context.node,
            item=item,
            reason=reason,
        )
        _audit_retraction(
            session,
            clock=context.clock,
            actor=SYSTEM_ACTOR,
            item=item,
            reason=reason,
            sent=sent,
            failed=failed,
        )
        raise_alert(
            session,
            clock=context.clock,
            actor=SYSTEM_ACTOR,
            kind="evidence_retracted",
            severity=AlertSeverity.WARNING,
            subject_type=SUBJECT_TYPE,
            subject_id=item.id,
            audience=AlertAudience.OFFICERS,
            jurisdiction=context.node,
            message=(
                f"{message.sender} retracted evidence {origin_id} (here {item.id}, case {item.case_id}): "
                f"it may no longer be used or shared. Reason: {reason[:500]}"
            ),
            details={
                "evidence": item.id,
                "origin_node": message.sender,
                "retraction_sent_to": sorted(sent),
                "could_not_tell": sorted(failed),
            },
            dedup_key=f"evidence_retracted:{item.id}",
        )
    _mark_messages_retracted(session, sender=message.sender, origin_id=origin_id, at=context.now)


def _mark_messages_retracted(session: Session, *, sender: str, origin_id: str, at: datetime) -> None:
    rows = session.scalars(
        select(ReceivedMessage).where(
            ReceivedMessage.sender == sender,
            ReceivedMessage.kind == TRANSFER_KIND,
            ReceivedMessage.retracted_at.is_(None),
        )
    )
    for row in rows:
        facts = row.body.get("facts") if isinstance(row.body, dict) else None
        if isinstance(facts, dict) and facts.get("evidence_id") == origin_id:
            row.retracted_at = at
