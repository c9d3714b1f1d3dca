"""The sender's check of a peer's delivery receipt: right message, signed by the peer's node, chained."""

from __future__ import annotations

import json
from typing import Any

import pytest

from comity.federation.errors import BadReceipt
from comity.federation.receipts import encode_receipt, verify_receipt
from comity.signing.errors import CodedVerificationError, WrongSender
from comity.signing.keys import Ed25519Signer, KeyRing
from comity.transport.evidence import make_evidence
from comity.transport.interface import Evidence, EvidenceType
from unit.transport.transport_support import START, node_key

DIGEST = "ab" * 32


def receipt(
    signer: Ed25519Signer, kinds: tuple[EvidenceType, ...] = (EvidenceType.ACCEPTED, EvidenceType.DELIVERED)
) -> dict[str, Any]:
    chain: list[Evidence] = []
    for kind in kinds:
        chain.append(
            make_evidence(
                kind,
                message_id="msg_1",
                digest=DIGEST,
                sender="IE",
                recipient="FR",
                at=START,
                previous=chain[-1] if chain else None,
                signer=signer,
            )
        )
    return encode_receipt(message_id="msg_1", digest=DIGEST, sender="IE", recipient="FR", evidence=chain)


def check(document: dict[str, Any], keys: KeyRing, **expected: str) -> dict[str, Any]:
    args = {"message_id": "msg_1", "digest": DIGEST, "recipient": "FR"} | expected
    return verify_receipt(json.dumps(document).encode(), keys=keys, at=START, **args)


def test_a_good_receipt_verifies() -> None:
    signer, info = node_key("FR")
    document = receipt(signer)
    assert check(document, KeyRing([info])) == document


def test_receipt_for_another_message_or_recipient_is_refused() -> None:
    signer, info = node_key("FR")
    with pytest.raises(BadReceipt, match="another message"):
        check(receipt(signer), KeyRing([info]), message_id="msg_2")
    with pytest.raises(BadReceipt, match="another message"):
        check(receipt(signer), KeyRing([info]), digest="cd" * 32)


def test_evidence_signed_by_another_node_is_refused() -> None:
    signer, info = node_key("DE")  # a DE node key signing FR's receipt
    with pytest.raises(WrongSender):
        check(receipt(signer), KeyRing([info]))


def test_receipt_without_delivery_or_out_of_chain_is_refused() -> None:
    signer, info = node_key("FR")
    with pytest.raises(BadReceipt, match="does not attest delivery"):
        check(receipt(signer, (EvidenceType.ACCEPTED,)), KeyRing([info]))
    document = receipt(signer)
    document["evidence"].reverse()
    with pytest.raises(BadReceipt, match="out of chain"):
        check(document, KeyRing([info]))
    document = receipt(signer)
    document["evidence"] = []
    with pytest.raises(BadReceipt, match="at least the acceptance"):
        check(document, KeyRing([info]))


def test_malformed_receipts_are_refused_with_a_code() -> None:
    signer, info = node_key("FR")
    for broken in (b"not json", b"[]", json.dumps({**receipt(signer), "format": "x"}).encode()):
        with pytest.raises(CodedVerificationError):
            verify_receipt(
                broken, keys=KeyRing([info]), message_id="msg_1", digest=DIGEST, recipient="FR", at=START
            )
