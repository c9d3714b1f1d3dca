"""The delivery receipt a receiving node answers with, and its verification by the sender.

Wire format (``application/json``)::

    {"format": "comity-delivery-receipt/v1", "message_id", "digest", "sender", "recipient",
     "duplicate": bool, "evidence": [<delivery-evidence envelope>, ...]}

Each evidence is an ``application/vnd.comity.delivery-evidence+json`` envelope signed by the recipient's
node key (e-CODEX SUBMISSION_ACCEPTANCE and DELIVERY, ``cross_border_requests.md`` §3.3), chained by the
digest of the previous one. The sender keeps the receipt with the outbox row as its evidence of delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from comity.federation.errors import BadReceipt
from comity.signing.envelope import Envelope
from comity.signing.keys import KeyResolver
from comity.signing.payload import Fields, loads_strict
from comity.transport.evidence import evidence_digest, verify_evidence
from comity.transport.interface import Evidence, EvidenceType

FORMAT = "comity-delivery-receipt/v1"


def encode_receipt(
    *, message_id: str, digest: str, sender: str, recipient: str, evidence: Sequence[Evidence]
) -> dict[str, Any]:
    """The receipt document (``duplicate`` false: set when it is answered again)."""
    return {
        "format": FORMAT,
        "message_id": message_id,
        "digest": digest,
        "sender": sender,
        "recipient": recipient,
        "duplicate": False,
        "evidence": [e.signed.to_obj() for e in evidence if e.signed is not None],
    }


def evidence_from_envelope(envelope: Envelope, where: str) -> Evidence:
    """Read one delivery-evidence envelope (its signature is checked by ``verify_evidence``)."""
    fields = Fields(
        loads_strict(envelope.payload, what=where, error=BadReceipt), path=where, error=BadReceipt
    ).only(("event", "message_id", "digest", "sender", "recipient", "at", "previous"))
    try:
        kind = EvidenceType(fields.text("event"))
    except ValueError:
        raise BadReceipt(f"{where}.event: not a delivery evidence type") from None
    return Evidence(
        kind=kind,
        message_id=fields.text("message_id"),
        digest=fields.text("digest"),
        sender=fields.text("sender"),
        recipient=fields.text("recipient"),
        at=fields.instant("at"),
        previous=fields.opt_text("previous"),
        signed=envelope,
    )


def verify_receipt(
    data: bytes, *, keys: KeyResolver, message_id: str, digest: str, recipient: str, at: datetime
) -> dict[str, Any]:
    """Check a peer's receipt for the message sent (id, digest), signed evidence by its node key, chained.

    Returns the receipt document, to be kept as the delivery evidence.
    """
    document = loads_strict(data, what="receipt", error=BadReceipt)
    top = Fields(document, path="", error=BadReceipt).only(
        ("format", "message_id", "digest", "sender", "recipient", "duplicate", "evidence")
    )
    if top.raw("format") != FORMAT:
        raise BadReceipt(f"format: expected {FORMAT}")
    if (top.text("message_id"), top.text("digest"), top.text("recipient")) != (message_id, digest, recipient):
        raise BadReceipt(f"the receipt is for another message than {message_id} to {recipient}")
    chain = top.array("evidence")
    if not chain:
        raise BadReceipt("evidence: a receipt holds at least the acceptance")
    previous: Evidence | None = None
    for index, raw in enumerate(chain):
        where = f"evidence[{index}]"
        evidence = evidence_from_envelope(Envelope.from_obj(raw), where)
        expected_previous = evidence_digest(previous) if previous is not None else None
        if (evidence.message_id, evidence.digest, evidence.previous) != (
            message_id,
            digest,
            expected_previous,
        ):
            raise BadReceipt(f"{where}: not evidence of this message, or out of chain")
        verify_evidence(evidence, keys=keys, at=at)
        previous = evidence
    if previous is None or previous.kind is not EvidenceType.DELIVERED:
        raise BadReceipt("the receipt does not attest delivery")
    return dict(document)
