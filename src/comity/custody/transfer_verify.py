"""Verifying what a peer sent: the keys it vouched for, its custody envelopes, facts, attachment and chain.

The attachment must hash to the SHA-256 and size the facts state; every carried envelope must verify (peer
keys, or a carried key statement signed by the sender's pinned anchor), name its actor's key, follow the
custody state machine, chain to the previous one and end in the stated head, a ``transferred`` to this
node; the facts must match what the first event signed. Used by the handlers of
:mod:`comity.custody.transfer_receive`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from comity.custody.bundle_chain import check_signer
from comity.custody.errors import TransferNotVerified
from comity.custody.payload import HEX64, ID_PATTERN, CustodyPayload, EvidenceFacts, envelope_digest
from comity.custody.states import CustodyAction, CustodyState, next_state
from comity.errors import IllegalTransition
from comity.federation.directory import PeerKeys, latest_import, verified_store
from comity.keys.statements import Registration, Revocation
from comity.keys.truststore import key_info
from comity.signing.envelope import Envelope, PayloadType, verify
from comity.signing.errors import UnknownKey
from comity.signing.keys import KeyInfo, KeyPurpose, KeyRing
from comity.signing.payload import Fields

_CUSTODY_PURPOSES = frozenset({KeyPurpose.OFFICER_SIGNING, KeyPurpose.NODE_SIGNING})
_ANCHOR_ONLY = frozenset({KeyPurpose.TRUST_ANCHOR})
_FACT_KEYS = ("kind", "data_category", "tlp", "media_type", "legal_authority")


class SenderKeys:
    """The peers' keys (their imported trust stores), plus keys a sender vouched for in the message with
    statements signed by its own pinned anchor (officer keys created after the trust store was imported)."""

    def __init__(self, peers: PeerKeys, carried: Mapping[str, KeyInfo]) -> None:
        self._peers = peers
        self._carried = dict(carried)

    @classmethod
    def load(cls, session: Session, *, sender: str, statements: list[Any], at: datetime) -> SenderKeys:
        """Verify the carried ``statements`` against the anchors pinned for ``sender``."""
        peers = PeerKeys.load(session)
        row = latest_import(session, sender)
        if row is None or not statements:
            return cls(peers, {})
        anchors = KeyRing(
            a for a in verified_store(row.document.encode("utf-8")).anchors if a.holder.jurisdiction == sender
        )
        registrations: dict[str, Registration] = {}
        revocations: list[Revocation] = []
        for index, raw in enumerate(statements):
            envelope = Envelope.from_obj(raw)
            if envelope.payload_type not in (PayloadType.KEY_REGISTRATION, PayloadType.KEY_REVOCATION):
                raise TransferNotVerified(f"facts.keys[{index}] is not a key statement")
            verified = verify(
                envelope, keys=anchors, expected_type=envelope.payload_type, purposes=_ANCHOR_ONLY, at=at
            )
            statement: Registration | Revocation = (
                Registration.from_payload(verified.payload)
                if envelope.payload_type == PayloadType.KEY_REGISTRATION
                else Revocation.from_payload(verified.payload)
            )
            if (statement.anchor, statement.jurisdiction) != (verified.key.keyid, sender):
                raise TransferNotVerified(f"facts.keys[{index}] is not vouched for by the anchor of {sender}")
            if isinstance(statement, Registration):
                registrations[statement.keyid] = statement
            else:
                revocations.append(statement)
        carried = {
            keyid: key_info(reg, [r for r in revocations if r.keyid == keyid and r.anchor == reg.anchor])
            for keyid, reg in registrations.items()
        }
        return cls(peers, carried)

    def lookup(self, keyid: str) -> KeyInfo:
        """The key from the imported trust stores, else from the statements the sender carried."""
        try:
            return self._peers.lookup(keyid)
        except UnknownKey:
            if keyid in self._carried:
                return self._carried[keyid]
            raise


def verify_custody_envelope(keys: SenderKeys, raw: object, where: str) -> tuple[CustodyPayload, str]:
    """Verify one custody envelope (signature by its actor's key valid when signed); payload and digest."""
    envelope = Envelope.from_obj(raw)
    payload = CustodyPayload.from_payload(envelope.payload)
    verified = verify(
        envelope,
        keys=keys,
        expected_type=PayloadType.CUSTODY_EVENT,
        purposes=_CUSTODY_PURPOSES,
        at=payload.occurred_at,
    )
    check_signer(verified.key, payload, where)
    return payload, envelope_digest(envelope.to_json())


@dataclass(frozen=True, slots=True)
class TransferFacts:
    """The facts of an ``evidence_transfer`` message, read strictly."""

    evidence_id: str
    case_id: str
    facts: EvidenceFacts
    sha256: str
    size: int
    head: str
    events: list[Any]
    keys: list[Any]

    @classmethod
    def parse(cls, value: object) -> TransferFacts:
        """Read the facts object; :class:`TransferNotVerified` names the field at fault."""
        fields = Fields(value, path="facts", error=TransferNotVerified)
        fields.only(
            ("evidence_id", "case_id", *_FACT_KEYS, "sha256", "size", "head", "events", "keys"),
        )
        size = fields.integer("size")
        if size < 0:
            raise TransferNotVerified("facts.size: negative")
        return cls(
            evidence_id=fields.text("evidence_id", pattern=ID_PATTERN),
            case_id=fields.text("case_id", pattern=ID_PATTERN),
            facts=EvidenceFacts(**{key: fields.text(key) for key in _FACT_KEYS}),
            sha256=fields.text("sha256", pattern=HEX64),
            size=size,
            head=fields.text("head", pattern=HEX64),
            events=fields.array("events"),
            keys=fields.array("keys"),
        )


def attachment_content(body: Mapping[str, Any], expected: TransferFacts) -> bytes:
    """The one attachment's bytes, checked against its own hash and size and against the facts."""
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1:
        raise TransferNotVerified("an evidence transfer carries exactly one attachment")
    fields = Fields(attachments[0], path="attachments[0]", error=TransferNotVerified)
    fields.only(("name", "data_category", "media_type", "sha256", "size", "content"))
    try:
        content = base64.b64decode(fields.text("content"), validate=True)
    except (binascii.Error, ValueError):
        raise TransferNotVerified("attachments[0].content: not base64") from None
    digest = hashlib.sha256(content).hexdigest()
    stated = (fields.text("sha256"), fields.integer("size"), fields.text("name"))
    if digest != stated[0] or len(content) != stated[1]:
        raise TransferNotVerified(
            f"the attachment hashes to {digest} ({len(content)} bytes), not to the {stated[0]} "
            f"({stated[1]} bytes) it states"
        )
    if (digest, len(content), stated[2]) != (expected.sha256, expected.size, expected.evidence_id):
        raise TransferNotVerified(
            f"the attachment ({digest}, {len(content)} bytes) is not the evidence {expected.evidence_id} "
            f"the facts describe ({expected.sha256}, {expected.size} bytes)"
        )
    if fields.text("data_category") != expected.facts.data_category:
        raise TransferNotVerified("the attachment's data category is not the one the facts state")
    return content


def verify_chain(keys: SenderKeys, facts: TransferFacts, *, sender: str, node: str) -> None:
    """The carried chain verifies, is the item's, is legal, ends in a transfer to ``node`` at the head."""
    if not facts.events:
        raise TransferNotVerified("facts.events: the chain of custody is missing")
    state: CustodyState | None = None
    previous: str | None = None
    last: CustodyPayload | None = None
    for index, raw in enumerate(facts.events):
        where = f"facts.events[{index}]"
        payload, digest = verify_custody_envelope(keys, raw, where)
        if payload.evidence != facts.evidence_id or payload.seq != index + 1:
            raise TransferNotVerified(f"{where} is event #{payload.seq} of {payload.evidence}")
        if (payload.sha256, payload.size) != (facts.sha256, facts.size):
            raise TransferNotVerified(f"{where} is signed about other bytes ({payload.sha256})")
        if payload.case != facts.case_id or payload.jurisdiction != sender:
            raise TransferNotVerified(f"{where} belongs to case {payload.case} of {payload.jurisdiction}")
        if payload.previous != previous:
            raise TransferNotVerified(f"{where} does not link to the event before it")
        if last is not None and payload.occurred_at < last.occurred_at:
            raise TransferNotVerified(f"{where} is dated before the event it follows")
        if index == 0 and payload.facts is not None and payload.facts != facts.facts:
            raise TransferNotVerified(
                "the facts sent (kind, category, TLP, media type, authority) differ from those signed "
                "when the chain opened"
            )
        try:
            state = next_state(state, payload.action, subject=f"evidence {facts.evidence_id}")
        except IllegalTransition as exc:
            raise TransferNotVerified(f"{where}: {exc.detail}") from None
        previous, last = digest, payload
    assert last is not None
    if last.action is not CustodyAction.TRANSFERRED or last.counterparty != node:
        raise TransferNotVerified(f"the chain does not end in a transfer to {node}")
    if previous != facts.head:
        raise TransferNotVerified(f"the chain ends in {previous}, not in the stated head {facts.head}")
