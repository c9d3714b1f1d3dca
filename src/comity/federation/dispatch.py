"""Handing received messages to the features that act on them, and the retrieval evidence back.

The inbox only checks, stores and receipts (ACCEPTED, DELIVERED): it answers fast and never runs a
feature's rules inside the sender's HTTP request. The ``federation_dispatch`` worker job then takes each
stored message that is not yet retrieved, in arrival order, and in one transaction per message:

1. calls the handler registered for its type (``register_handler``), which applies the change (a mirrored
   request, a step taken on the other node, evidence arriving...) through the feature's own services, so
   the same rules, policy decisions and audit events apply as for a local user;
2. marks it retrieved and records the audit event;
3. queues, through the egress gate and the outbox, a signed RETRIEVAL evidence back to the sender
   (e-CODEX RETRIEVAL, ``cross_border_requests.md`` §3.3), chained to the DELIVERED evidence it answered.

A handler that raises a ``ComityError`` leaves the message pending (its change rolled back) and the error
recorded; the next ticks retry (a step may arrive before the request it belongs to when one delivery was
retried), and after ``MAX_HANDLING_ATTEMPTS`` the message is given up with an alert to administrators.
Nothing is lost: the signed bytes stay stored, and an administrator can re-queue it.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.alerts.model import AlertAudience, AlertSeverity
from comity.alerts.service import raise_alert
from comity.audit import service as audit
from comity.clock import Clock
from comity.errors import ComityError, Conflict, NotFound
from comity.federation.model import ReceivedMessage
from comity.identity.principal import SYSTEM_ACTOR, Principal
from comity.keys.keystore import Keystore
from comity.keys.queries import signer_for
from comity.kinds import OrganisationKind, Role
from comity.signing.envelope import Envelope
from comity.signing.keys import KeyPurpose
from comity.transport.evidence import make_evidence
from comity.transport.interface import Evidence, EvidenceType
from comity.transport.tlp import Tlp
from comity.web.container import Container
from comity.worker.jobs import register_job

log = logging.getLogger("comity.federation")

#: Message type of the retrieval evidence a node sends back once it handled a message.
DELIVERY_EVIDENCE_KIND = "delivery_evidence"
#: Tries before a message that keeps failing is given up (about this many worker ticks).
MAX_HANDLING_ATTEMPTS = 5
#: Messages handled per tick, so one tick never runs unbounded.
BATCH = 200

#: Feature modules that register message handlers when imported.
HANDLER_MODULES: tuple[str, ...] = (
    "comity.federation.dispatch",
    "comity.assistance_requests.federated",
    "comity.assistance_requests.mirror",
    "comity.custody.transfer_receive",
    "comity.custody.retraction",
    "comity.federation.pseudonyms",
)


@dataclass(frozen=True, slots=True)
class HandlerContext:
    """What a handler needs besides the session: the node, its clock, keystore and container."""

    container: Container
    clock: Clock
    keystore: Keystore
    node: str

    @property
    def now(self) -> datetime:
        return self.clock.now()


Handler = Callable[[Session, HandlerContext, ReceivedMessage], None]

_HANDLERS: dict[str, Handler] = {}


def register_handler(kind: str) -> Callable[[Handler], Handler]:
    """Decorator: ``fn`` handles received messages of type ``kind`` (one handler per type)."""

    def _register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return _register


def handlers() -> dict[str, Handler]:
    """Every registered handler, importing the feature modules that register them."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    return dict(_HANDLERS)


def peer_principal(jurisdiction: str, *, organisation_id: str = "") -> Principal:
    """The caller a handler acts as: the peer node of ``jurisdiction``, speaking for its side.

    Audit events and steps name it ``node:<jurisdiction>``; access rules recognise it by ``node`` (it is
    never issued a token: only the dispatcher, after the message's signature verified, builds one).
    """
    return Principal(
        user_id="",
        username=f"node-{jurisdiction.lower()}",
        role=Role.OFFICER,
        organisation_id=organisation_id,
        organisation_kind=OrganisationKind.AUTHORITY,
        jurisdiction=jurisdiction,
        authority_type=None,
        node=jurisdiction,
    )


def _delivered_evidence(message: ReceivedMessage) -> Evidence:
    """The last evidence of the receipt this node answered with (the DELIVERED one)."""
    from comity.federation.receipts import evidence_from_envelope

    receipt = json.loads(message.receipt)
    return evidence_from_envelope(Envelope.from_obj(receipt["evidence"][-1]), "receipt.evidence[-1]")


def reply(
    session: Session,
    context: HandlerContext,
    message: ReceivedMessage,
    *,
    kind: str,
    tlp: Tlp,
    facts: Mapping[str, Any],
    subject_type: str,
    subject_id: str,
) -> None:
    """Answer ``message``'s sender, under the agreement it came under, through the egress gate and outbox."""
    from comity.federation import outbound
    from comity.transport.egress import Outbound

    outbound.send(
        session,
        clock=context.clock,
        actor=SYSTEM_ACTOR,
        keystore=context.keystore,
        node=context.node,
        item=Outbound(kind=kind, recipient=message.sender, tlp=tlp, facts=facts),
        agreement_id=message.agreement_id,
        subject_type=subject_type,
        subject_id=subject_id,
    )


def _send_retrieval(session: Session, context: HandlerContext, message: ReceivedMessage) -> None:
    """Queue the signed RETRIEVAL evidence of ``message`` back to its sender."""
    signer = signer_for(
        session,
        keystore=context.keystore,
        purpose=KeyPurpose.NODE_SIGNING,
        jurisdiction=context.node,
        at=context.now,
    )
    evidence = make_evidence(
        EvidenceType.RETRIEVED,
        message_id=message.message_id,
        digest=message.digest,
        sender=message.sender,
        recipient=context.node,
        at=context.now,
        previous=_delivered_evidence(message),
        signer=signer,
    )
    assert evidence.signed is not None  # signed above
    reply(
        session,
        context,
        message,
        kind=DELIVERY_EVIDENCE_KIND,
        tlp=Tlp.AMBER,
        facts={"message_id": message.message_id, "evidence": evidence.signed.to_obj()},
        subject_type="federation_message",
        subject_id=message.message_id,
    )


def _give_up(session: Session, context: HandlerContext, message: ReceivedMessage, error: str) -> None:
    message.handling_failed_at = context.now
    raise_alert(
        session,
        clock=context.clock,
        actor=SYSTEM_ACTOR,
        kind="federation_message_unhandled",
        severity=AlertSeverity.CRITICAL,
        subject_type="federation_message",
        subject_id=message.message_id,
        audience=AlertAudience.ADMINISTRATORS,
        jurisdiction=context.node,
        message=(
            f"{message.kind} {message.message_id} from {message.sender} could not be handled after "
            f"{message.handling_attempts} tries: {error[:300]}"
        ),
        details={"message_id": message.message_id, "sender": message.sender, "type": message.kind},
        dedup_key=f"federation_unhandled:{message.message_id}",
    )
    audit.record(
        session,
        clock=context.clock,
        actor=SYSTEM_ACTOR,
        tag="federation:message:unhandled",
        subject_type="federation_message",
        subject_id=message.message_id,
        details={"sender": message.sender, "type": message.kind, "attempts": message.handling_attempts},
    )


def handle_one(container: Container, context: HandlerContext, message_id: str) -> bool:
    """Hand one stored message to its handler; True when it was handled (retrieved)."""
    registry = handlers()
    error: str
    try:
        with container.transaction() as session:
            message = session.get(ReceivedMessage, message_id, with_for_update=True)
            if message is None or message.retrieved_at is not None or message.handling_failed_at is not None:
                return False
            handler = registry.get(message.kind)
            if handler is None:
                raise Conflict(f"this node has no handler for messages of type {message.kind}")
            handler(session, context, message)
            message.retrieved_at = context.now
            message.handling_attempts += 1
            message.handling_error = None
            audit.record(
                session,
                clock=context.clock,
                actor=SYSTEM_ACTOR,
                tag="federation:message:retrieved",
                subject_type="federation_message",
                subject_id=message.message_id,
                details={"sender": message.sender, "type": message.kind, "digest": message.digest},
            )
            if message.kind != DELIVERY_EVIDENCE_KIND:  # evidence of evidence would never end
                _send_retrieval(session, context, message)
        return True
    except ComityError as exc:
        error = f"{type(exc).__name__}: {exc}"
    # The handler's change rolled back with its transaction; record the try in a new one.
    with container.transaction() as session:
        message = session.get(ReceivedMessage, message_id, with_for_update=True)
        if message is None:
            return False
        message.handling_attempts += 1
        message.handling_error = error[:2000]
        if message.handling_attempts >= MAX_HANDLING_ATTEMPTS:
            _give_up(session, context, message, error)
    log.warning("handling %s failed (try %d): %s", message_id, message.handling_attempts, error)
    return False


def pending(session: Session, *, limit: int = BATCH) -> list[str]:
    """Ids of received messages not yet handled nor given up, oldest first."""
    rows = session.scalars(
        select(ReceivedMessage.message_id)
        .where(ReceivedMessage.retrieved_at.is_(None), ReceivedMessage.handling_failed_at.is_(None))
        .order_by(ReceivedMessage.received_at, ReceivedMessage.created_at, ReceivedMessage.message_id)
        .limit(limit)
    )
    return list(rows)


@register_job("federation_dispatch")
def dispatch_pending(container: Container) -> int:
    """Handle every pending received message once (oldest first); returns how many were handled."""
    node = container.settings.node_jurisdiction
    context = HandlerContext(
        container=container,
        clock=container.clock,
        keystore=Keystore.for_settings(container.settings),
        node=node,
    )
    with container.transaction() as session:
        ids = pending(session)
    return sum(handle_one(container, context, message_id) for message_id in ids)


def requeue(session: Session, *, clock: Clock, actor: str, message_id: str) -> ReceivedMessage:
    """Put a given-up message back in the queue (after its cause was fixed); audited."""
    message = session.get(ReceivedMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound(f"no received message {message_id[:100]!r}")
    if message.handling_failed_at is None:
        raise Conflict(f"message {message_id} was not given up")
    message.handling_failed_at = None
    message.handling_attempts = 0
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag="federation:message:requeued",
        subject_type="federation_message",
        subject_id=message.message_id,
        details={"sender": message.sender, "type": message.kind},
    )
    return message


# --- the sender's side of retrieval evidence ----------------------------------------------------------


@register_handler(DELIVERY_EVIDENCE_KIND)
def _retrieval_evidence(session: Session, context: HandlerContext, message: ReceivedMessage) -> None:
    """A peer retrieved a message this node sent: verify its RETRIEVAL evidence and keep it with the row."""
    from comity.federation.directory import PeerKeys
    from comity.federation.receipts import evidence_from_envelope
    from comity.outbox.model import OutboxMessage
    from comity.transport.evidence import verify_evidence

    facts: dict[str, Any] = dict(message.body.get("facts", {}))
    sent_id = str(facts.get("message_id", ""))
    row = session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.idempotency_key == f"federation:{sent_id}")
        .with_for_update()
    )
    if row is None:
        raise NotFound(f"retrieval evidence for message {sent_id[:100]!r}, which this node did not send")
    evidence = evidence_from_envelope(Envelope.from_obj(facts.get("evidence")), "facts.evidence")
    if (
        evidence.kind is not EvidenceType.RETRIEVED
        or evidence.message_id != sent_id
        or evidence.recipient != message.sender
        or row.destination != message.sender
    ):
        raise Conflict(f"the retrieval evidence from {message.sender} is not for message {sent_id}")
    verify_evidence(evidence, keys=PeerKeys.load(session), at=context.now)
    kept = dict(row.evidence or {})
    kept["retrieval"] = {"evidence": facts["evidence"], "at": evidence.at.isoformat(), "by": message.sender}
    row.evidence = kept
    audit.record(
        session,
        clock=context.clock,
        actor=SYSTEM_ACTOR,
        tag="federation:message:retrieved_by_peer",
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        details={"message_id": sent_id, "peer": message.sender, "digest": evidence.digest},
    )
