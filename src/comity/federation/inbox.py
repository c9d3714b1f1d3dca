"""Receiving a message from a peer: the checks, in order, then storage and a signed receipt.

1. The exact bytes were received before: answer the stored receipt again (idempotent; ``duplicate``).
2. The claimed sender (read from the header, before anything is believed) is an active peer: else
   ``unknown_peer`` (a cheap refusal that names the problem; the signature is still checked next).
3. :func:`comity.transport.message.open_message` against the peers' imported trust stores: envelope,
   signature by a node signing key valid now (``unknown_key``, ``bad_signature``, ``key_revoked``...),
   signed by the sender's node (``wrong_sender``), addressed to this node (``wrong_addressee``), not from
   the future beyond the skew window (``issued_in_future``), not expired (``expired``), and the sealed body
   opens with this node's key (``decryption_failed``).
4. The agreement it invokes is in force with that peer (``agreement_not_in_force``).
5. Its message id was not received with other bytes (``replayed``).
6. Stored with ACCEPTED and DELIVERED evidence signed by this node's key, in one transaction with its
   audit event; the receipt is answered and kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import nacl.public
from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.audit import service as audit
from comity.clock import Clock
from comity.federation.directory import PeerKeys
from comity.federation.errors import AgreementNotInForce, UnknownPeer
from comity.federation.model import Peer, PeerStatus, ReceivedMessage
from comity.federation.receipts import encode_receipt
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys.keystore import Keystore
from comity.keys.model import RegisteredKey
from comity.keys.queries import signer_for
from comity.signing.envelope import Envelope
from comity.signing.errors import CodedVerificationError, MalformedPayload, Replayed
from comity.signing.keys import Ed25519Signer, KeyPurpose
from comity.signing.payload import loads_strict
from comity.transport.evidence import make_evidence
from comity.transport.interface import Evidence, EvidenceType
from comity.transport.message import DEFAULT_MAX_SKEW, InboundMessage, digest_of, open_message

#: Largest message the inbox reads: 16 MiB, the largest envelope a node parses
#: (``comity.signing.envelope.MAX_ENVELOPE_BYTES``). An evidence transfer carries its bytes in the message
#: (base64 inside a sealed body inside a signed envelope, about x2.37), so the egress gate bounds them at
#: ``comity.transport.egress.MAX_ATTACHMENT_BYTES`` (6 MiB raw); larger items need a chunked channel.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
#: Largest batch body (``/federation/inbox/batch``): many small messages, not many transfers.
MAX_BATCH_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class InboxContext:
    """What checking a message needs from the database and keystore, loaded once per transaction."""

    keys: PeerKeys
    decryption_keys: dict[str, nacl.public.PrivateKey]
    signer: Ed25519Signer
    peers: dict[str, Peer]

    @classmethod
    def load(cls, session: Session, *, keystore: Keystore, node: str, at: datetime) -> InboxContext:
        """The peers and their keys, this node's decryption keys and its current node signing key."""
        return cls(
            keys=PeerKeys.load(session),
            decryption_keys=decryption_keys(session, keystore=keystore, node=node),
            signer=signer_for(
                session, keystore=keystore, purpose=KeyPurpose.NODE_SIGNING, jurisdiction=node, at=at
            ),
            peers={
                peer.jurisdiction: peer
                for peer in session.scalars(select(Peer).where(Peer.status == PeerStatus.ACTIVE.value))
            },
        )

    def peer(self, jurisdiction: str) -> Peer:
        """The active peer of ``jurisdiction``, or :class:`UnknownPeer` (as ``directory.active_peer``)."""
        peer = self.peers.get(jurisdiction[:2].upper())
        if peer is None:
            raise UnknownPeer(f"{jurisdiction[:2]} is not an active peer of this node")
        return peer


@dataclass(frozen=True, slots=True)
class Received:
    """The outcome of one delivery: the receipt document and whether it was a repeat."""

    receipt: dict[str, Any]
    duplicate: bool
    message_id: str


def decryption_keys(session: Session, *, keystore: Keystore, node: str) -> dict[str, nacl.public.PrivateKey]:
    """Every node encryption key this node holds and has not revoked for cause.

    Superseded keys stay: a message sealed to the old key during a rotation's overlap must still open.
    """
    rows = session.scalars(
        select(RegisteredKey).where(
            RegisteredKey.jurisdiction == node,
            RegisteredKey.purpose == KeyPurpose.NODE_ENCRYPTION.value,
            RegisteredKey.private_key_held,
            RegisteredKey.status != "revoked",
        )
    )
    return {row.keyid: keystore.encryption_key(row.keyid) for row in rows}


def _claimed_sender(data: bytes) -> str:
    """The sender the header claims, read before verification only to refuse strangers early."""
    payload = loads_strict(Envelope.from_json(data).payload, what="message", error=MalformedPayload)
    sender = payload.get("sender") if isinstance(payload, dict) else None
    if not isinstance(sender, str):
        raise MalformedPayload("sender: missing")
    return sender


def _check(
    data: bytes, *, context: InboxContext, node: str, at: datetime, max_skew: timedelta
) -> InboundMessage:
    """Steps 2-4 of the module docstring, without touching the database."""
    context.peer(_claimed_sender(data))
    inbound = open_message(
        data,
        keys=context.keys,
        recipient=node,
        at=at,
        decryption_keys=context.decryption_keys,
        max_skew=max_skew,
    )
    message = inbound.message
    if message.agreement_id not in context.peer(message.sender).agreements:
        raise AgreementNotInForce(
            f"agreement {message.agreement_id} is not in force between {node} and {message.sender} "
            "on this node",
            agreement=message.agreement_id,
        )
    return inbound


def _replayed(message_id: str) -> Replayed:
    return Replayed(
        f"message {message_id} was already received with other content: replay refused", id=message_id
    )


def _duplicate(row: ReceivedMessage) -> Received:
    receipt = json.loads(row.receipt)
    receipt["duplicate"] = True
    return Received(receipt=receipt, duplicate=True, message_id=row.message_id)


def _store(
    session: Session, *, clock: Clock, context: InboxContext, node: str, inbound: InboundMessage, at: datetime
) -> tuple[Received, ReceivedMessage]:
    """Step 6: the signed ACCEPTED and DELIVERED evidence, the stored row and its audit event."""
    message = inbound.message
    chain: list[Evidence] = []
    for kind in (EvidenceType.ACCEPTED, EvidenceType.DELIVERED):
        chain.append(
            make_evidence(
                kind,
                message_id=message.message_id,
                digest=inbound.digest,
                sender=message.sender,
                recipient=node,
                at=at,
                previous=chain[-1] if chain else None,
                signer=context.signer,
            )
        )
    receipt = encode_receipt(
        message_id=message.message_id,
        digest=inbound.digest,
        sender=message.sender,
        recipient=node,
        evidence=chain,
    )
    row = ReceivedMessage(
        message_id=message.message_id,
        digest=inbound.digest,
        sender=message.sender,
        kind=message.kind,
        agreement_id=message.agreement_id,
        agreement_version=message.agreement_version,
        tlp=message.tlp.value,
        signer_keyid=inbound.signer.keyid,
        created_at=message.created_at,
        expires_at=message.expires_at,
        received_at=at,
        retrieved_at=None,
        handling_attempts=0,
        data=inbound.data,
        body=dict(message.body),
        receipt=json.dumps(receipt, sort_keys=True),
    )
    session.add(row)
    audit.record(
        session,
        clock=clock,
        actor=SYSTEM_ACTOR,
        tag="federation:message:received",
        subject_type="federation_message",
        subject_id=message.message_id,
        details={"sender": message.sender, "type": message.kind, "digest": inbound.digest},
    )
    return Received(receipt=receipt, duplicate=False, message_id=message.message_id), row


def receive(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    node: str,
    data: bytes,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    context: InboxContext | None = None,
) -> Received:
    """Check, store and receipt one message for ``node`` (see the module docstring for the order).

    Every check precedes the first write, so a refusal leaves the session clean.
    """
    digest = digest_of(data)
    known = session.scalar(select(ReceivedMessage).where(ReceivedMessage.digest == digest))
    if known is not None:
        return _duplicate(known)
    now = clock.now()
    context = context or InboxContext.load(session, keystore=keystore, node=node, at=now)
    inbound = _check(data, context=context, node=node, at=now, max_skew=max_skew)
    if session.get(ReceivedMessage, inbound.message.message_id) is not None:
        raise _replayed(inbound.message.message_id)
    return _store(session, clock=clock, context=context, node=node, inbound=inbound, at=now)[0]


def receive_many(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    node: str,
    items: Sequence[bytes],
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> list[Received | CodedVerificationError]:
    """:func:`receive` for a batch in one transaction, with the database work done in bulk.

    The same checks in the same order, per message; what differs is only how often the database is asked:
    one query for the digests already received, one for the message ids, one flush for every new row and
    audit event. A refused message is answered by its error and does not refuse the others; the same bytes
    twice in a batch are stored once and the second answered as a duplicate; the same id with other bytes
    in one batch is a replay, as across batches.
    """
    now = clock.now()
    digests = [digest_of(data) for data in items]
    with session.no_autoflush:
        stored = {
            row.digest: row
            for row in session.scalars(
                select(ReceivedMessage).where(ReceivedMessage.digest.in_(set(digests)))
            )
        }
        context = InboxContext.load(session, keystore=keystore, node=node, at=now)
        results: list[Received | CodedVerificationError | None] = [None] * len(items)
        opened: dict[int, InboundMessage] = {}
        for index, (data, digest) in enumerate(zip(items, digests, strict=True)):
            if digest in stored:
                results[index] = _duplicate(stored[digest])
                continue
            try:
                opened[index] = _check(data, context=context, node=node, at=now, max_skew=max_skew)
            except CodedVerificationError as exc:
                results[index] = exc
        ids = {inbound.message.message_id for inbound in opened.values()}
        taken = set(
            session.scalars(select(ReceivedMessage.message_id).where(ReceivedMessage.message_id.in_(ids)))
        )
        new: dict[str, ReceivedMessage] = {}
        for index, inbound in sorted(opened.items()):
            message_id = inbound.message.message_id
            earlier = new.get(message_id)
            if earlier is not None and earlier.digest == inbound.digest:
                results[index] = _duplicate(earlier)
            elif message_id in taken or earlier is not None:
                results[index] = _replayed(message_id)
            else:
                results[index], new[message_id] = _store(
                    session, clock=clock, context=context, node=node, inbound=inbound, at=now
                )
    return [result for result in results if result is not None]
