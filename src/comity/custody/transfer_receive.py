"""Evidence arriving from a peer node, and its acknowledgement.

**Receiving** (the ``evidence_transfer`` handler, in the dispatcher's transaction). The attachment must
hash to the SHA-256 and size the facts state; every carried envelope must verify (peer keys, or a carried
key statement signed by the sender's pinned anchor), name its actor's key, follow the custody state machine,
chain to the previous one and end in the stated head, a ``transferred`` to this node; the facts must match
what the first event signed. Only then are the bytes stored (and deleted again if the transaction rolls
back, unless they were already in the store), and a new item is created, its chain opening with a
``received`` event signed by this node's node key (counterparty = the sender, note naming the message and
the sender's head). The plaintext copy of the bytes is dropped from the stored message body (the sealed,
signed bytes stay as evidence of receipt; the vault copy is the one retention governs). An
``evidence_received`` message carries the envelope of that event back.

**Acknowledging** (the ``evidence_received`` handler, on the sender). The envelope is verified and must be
this node's item's receipt by the peer it was transferred to; the sender records ``received`` on its item
(in transit -> sealed: it keeps its sealed original), signed by its node key.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.agreements.service import get_agreement
from comity.cases.model import Case
from comity.clock import ensure_utc
from comity.custody.actors import node_actor
from comity.custody.errors import TransferNotVerified
from comity.custody.events import current_state, events_of, record_event
from comity.custody.model import CustodyEvent, EvidenceItem
from comity.custody.payload import ID_PATTERN
from comity.custody.service import discard_upload
from comity.custody.sharing import MESSAGE_TLP_FLOOR, RECEIVED_KIND, SUBJECT_TYPE, TRANSFER_KIND, message_tlp
from comity.custody.states import CustodyAction, CustodyState
from comity.custody.store import EvidenceStore, folder_store_for
from comity.custody.transfer import key_statements, signers
from comity.custody.transfer_verify import (
    SenderKeys,
    TransferFacts,
    attachment_content,
    verify_chain,
    verify_custody_envelope,
)
from comity.errors import Conflict, NotFound
from comity.federation.dispatch import HandlerContext, register_handler, reply
from comity.federation.model import ReceivedMessage
from comity.ids import new_id
from comity.kinds import DataCategory
from comity.signing.payload import Fields, truncate_to_second
from comity.transport.tlp import Tlp
from comity.web.container import Container

log = logging.getLogger("comity.custody")


def _store_for_this_transaction(
    session: Session, container: Container, store: EvidenceStore, content: bytes
) -> None:
    """Put ``content`` in the vault; should this transaction roll back, take the bytes out again.

    Bytes go to the store before the transaction that records them commits (as for an upload). If it
    rolls back, :func:`comity.custody.service.discard_upload` runs in a fresh transaction: the bytes are
    deleted unless a committed item holds the same bytes, so nothing unreferenced is left in the vault.
    """
    blob = store.put([content])
    outcome = {"committed": False}

    def _committed(_: Session) -> None:
        outcome["committed"] = True

    def _rolled_back(_: Session) -> None:
        if outcome["committed"]:
            return
        try:
            with container.transaction() as fresh:
                discard_upload(fresh, store=store, blob=blob)
        except Exception:  # a failed clean-up must not hide the error that rolled back
            log.exception("could not discard the bytes %s of a receipt that rolled back", blob.sha256)

    sa_event.listen(session, "after_commit", _committed, once=True)
    sa_event.listen(session, "after_rollback", _rolled_back, once=True)


def _retention_until(session: Session, agreement_id: str, category: str, now: datetime) -> datetime:
    agreement = get_agreement(session, agreement_id).agreement
    try:
        terms = agreement.data_categories.get(DataCategory(category))
    except ValueError:
        terms = None
    if terms is None:
        raise TransferNotVerified(f"agreement {agreement_id} does not permit sharing {category!r} data")
    return now + timedelta(days=terms.retention_days)


def _require_shared_case(session: Session, case_id: str, sender: str) -> None:
    """Evidence from a peer attaches to a case this node shares with it through a federated request:
    the mirror case of a request received from the sender, or the issuing case of one sent to it."""
    from comity.assistance_requests.model import AssistanceRequest  # requests build on custody's peers

    shared = session.scalar(
        select(AssistanceRequest.id)
        .where(AssistanceRequest.case_id == case_id, AssistanceRequest.federated_with == sender)
        .limit(1)
    )
    if session.get(Case, case_id) is None or shared is None:
        raise TransferNotVerified(
            f"facts.case_id: no case {case_id} shared with {sender} through a request on this node; "
            "evidence from a peer attaches to the case of a request exchanged with it"
        )


@register_handler(TRANSFER_KIND)
def receive_transfer(session: Session, context: HandlerContext, message: ReceivedMessage) -> None:
    """A peer transferred evidence: verify everything, store it, open its chain with ``received``."""
    body = message.body
    facts = TransferFacts.parse(body.get("facts"))
    _require_shared_case(session, facts.case_id, message.sender)
    content = attachment_content(body, facts)
    try:
        marking = Tlp(facts.facts.tlp)
    except ValueError:
        raise TransferNotVerified(f"facts.tlp: {facts.facts.tlp[:20]!r} is not a TLP 2.0 level") from None
    if Tlp(message.tlp).rank < message_tlp(marking).rank:
        raise TransferNotVerified(
            f"the message is marked {message.tlp}, looser than the item it carries ({marking.label})"
        )
    now = truncate_to_second(ensure_utc(context.now))
    keys = SenderKeys.load(session, sender=message.sender, statements=facts.keys, at=now)
    verify_chain(keys, facts, sender=message.sender, node=context.node)
    retention_until = _retention_until(session, message.agreement_id, facts.facts.data_category, now)
    store = folder_store_for(context.container.settings)
    _store_for_this_transaction(session, context.container, store, content)
    actor = node_actor(session, clock=context.clock, keystore=context.keystore, jurisdiction=context.node)
    item = EvidenceItem(
        id=new_id("evd"),
        sha256=facts.sha256,
        size_bytes=facts.size,
        kind=facts.facts.kind[:40],
        media_type=facts.facts.media_type[:120],
        case_id=facts.case_id,
        data_category=facts.facts.data_category,
        tlp=marking.value,
        legal_authority=facts.facts.legal_authority[:200],
        jurisdiction=context.node,
        collected_by=actor.ref,
        collected_by_org=f"node:{message.sender}",
        collected_at=now,
        retention_until=retention_until,
        state=CustodyState.SEALED.value,
        event_count=0,
        head_sha256=None,
        source=None,
        filename=None,
        description=None,
        personal_salt=None,
        purged_at=None,
        purge_reason=None,
        origin_node=message.sender,
        origin_evidence_id=facts.evidence_id,
        origin_head_sha256=facts.head,
        retracted_at=None,
    )
    session.add(item)
    received = record_event(
        session,
        clock=context.clock,
        actor=actor,
        item=item,
        action=CustodyAction.RECEIVED,
        counterparty=message.sender,
        note=(
            f"received from {message.sender} as message {message.message_id}: its evidence "
            f"{facts.evidence_id}, chain head {facts.head}"
        ),
        facts=facts.facts,
    )
    # The vault copy is the one retention and retraction govern; the signed, sealed bytes received stay.
    message.body = {
        **body,
        "attachments": [
            {k: v for k, v in a.items() if k != "content"} | {"content_stored_as": item.id}
            for a in body["attachments"]
        ],
    }
    _acknowledge(session, context, message, item, received)


def _acknowledge(
    session: Session,
    context: HandlerContext,
    message: ReceivedMessage,
    item: EvidenceItem,
    received: CustodyEvent,
) -> None:
    """Send the ``received`` event back to the sender, for its own chain."""
    envelope = json.loads(received.envelope)
    reply(
        session,
        context,
        message,
        kind=RECEIVED_KIND,
        tlp=MESSAGE_TLP_FLOOR,
        facts={
            "origin_evidence_id": item.origin_evidence_id,
            "evidence_id": item.id,
            "transfer_message_id": message.message_id,
            "event": envelope,
            "keys": key_statements(session, signers([envelope])),
        },
        subject_type=SUBJECT_TYPE,
        subject_id=item.id,
    )


@register_handler(RECEIVED_KIND)
def receive_acknowledgement(session: Session, context: HandlerContext, message: ReceivedMessage) -> None:
    """A peer acknowledged a transfer: verify its ``received`` event, record ours (in transit -> sealed)."""
    fields = Fields(message.body.get("facts"), path="facts", error=TransferNotVerified)
    fields.only(("origin_evidence_id", "evidence_id", "transfer_message_id", "event", "keys"))
    origin_id = fields.text("origin_evidence_id", pattern=ID_PATTERN)
    their_id = fields.text("evidence_id", pattern=ID_PATTERN)
    item = session.get(EvidenceItem, origin_id, with_for_update=True)
    if item is None:
        raise NotFound(f"{message.sender} acknowledged evidence {origin_id}, which this node does not hold")
    keys = SenderKeys.load(session, sender=message.sender, statements=fields.array("keys"), at=context.now)
    payload, digest = verify_custody_envelope(keys, fields.raw("event"), "facts.event")
    expected = (CustodyAction.RECEIVED, 1, None, their_id, message.sender, item.sha256, item.size_bytes)
    found = (
        payload.action,
        payload.seq,
        payload.previous,
        payload.evidence,
        payload.jurisdiction,
        payload.sha256,
        payload.size,
    )
    if found != expected or payload.counterparty != context.node or payload.case != item.case_id:
        raise TransferNotVerified(
            f"the acknowledgement of {message.sender} is not its receipt of evidence {origin_id} from here"
        )
    last = events_of(session, item.id)[-1]
    if (
        current_state(item) is not CustodyState.IN_TRANSIT
        or last.action != CustodyAction.TRANSFERRED.value
        or last.counterparty != message.sender
    ):
        raise Conflict(f"evidence {item.id} is not in transit to {message.sender}: nothing to acknowledge")
    actor = node_actor(session, clock=context.clock, keystore=context.keystore, jurisdiction=context.node)
    record_event(
        session,
        clock=context.clock,
        actor=actor,
        item=item,
        action=CustodyAction.RECEIVED,
        counterparty=message.sender,
        note=(
            f"{message.sender} acknowledged the transfer: its evidence {their_id} opens with its "
            f"received event {digest}"
        ),
    )
