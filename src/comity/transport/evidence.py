"""Signed delivery evidence (``application/vnd.comity.delivery-evidence+json``) and its verification."""

from __future__ import annotations

import hashlib
from datetime import datetime

from comity.signing.envelope import PayloadType, sign, verify
from comity.signing.errors import MalformedPayload, WrongSender
from comity.signing.keys import KeyPurpose, KeyResolver, Signer
from comity.signing.payload import canonical_json, format_time, truncate_to_second
from comity.transport.interface import Evidence, EvidenceType


def make_evidence(
    kind: EvidenceType,
    *,
    message_id: str,
    digest: str,
    sender: str,
    recipient: str,
    at: datetime,
    previous: Evidence | None,
    signer: Signer | None,
) -> Evidence:
    """One evidence of ``kind``, chained to ``previous`` and signed by ``signer`` if given."""
    at = truncate_to_second(at)
    chained = evidence_digest(previous) if previous is not None else None
    signed = None
    if signer is not None:
        payload = canonical_json(
            {
                "event": kind.value,
                "message_id": message_id,
                "digest": digest,
                "sender": sender,
                "recipient": recipient,
                "at": format_time(at),
                "previous": chained,
            }
        )
        signed = sign(payload, PayloadType.DELIVERY_EVIDENCE, signer)
    return Evidence(kind, message_id, digest, sender, recipient, at, chained, signed)


def evidence_digest(evidence: Evidence) -> str:
    """SHA-256 (hex) naming one evidence in the chain: its signed bytes, or its facts when unsigned."""
    if evidence.signed is not None:
        return hashlib.sha256(evidence.signed.to_json()).hexdigest()
    facts = (evidence.kind, evidence.message_id, evidence.digest, format_time(evidence.at), evidence.previous)
    return hashlib.sha256(canonical_json(facts)).hexdigest()


def verify_evidence(evidence: Evidence, *, keys: KeyResolver, at: datetime) -> None:
    """Check that ``evidence`` is signed by the recipient's node key and says what it claims."""
    if evidence.signed is None:
        raise MalformedPayload(f"{evidence.kind} evidence of message {evidence.message_id} is not signed")
    verified = verify(
        evidence.signed,
        keys=keys,
        expected_type=PayloadType.DELIVERY_EVIDENCE,
        purposes={KeyPurpose.NODE_SIGNING},
        at=at,
    )
    fields = verified.fields().only(
        ("event", "message_id", "digest", "sender", "recipient", "at", "previous")
    )
    claimed = (
        fields.text("event"),
        fields.text("message_id"),
        fields.text("digest"),
        fields.text("recipient"),
        fields.instant("at"),
        fields.opt_text("previous"),
    )
    expected = (
        evidence.kind.value,
        evidence.message_id,
        evidence.digest,
        evidence.recipient,
        evidence.at,
        evidence.previous,
    )
    if claimed != expected:
        raise MalformedPayload(
            f"{evidence.kind} evidence of message {evidence.message_id}: signed facts differ"
        )
    if verified.key.holder.jurisdiction != evidence.recipient:
        raise WrongSender(
            f"evidence of message {evidence.message_id} is signed by a node of "
            f"{verified.key.holder.jurisdiction}, not by the recipient {evidence.recipient}"
        )
