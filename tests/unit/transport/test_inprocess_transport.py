"""The in-process transport: delivery evidence, idempotent receipt, replays and refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from comity.errors import VerificationError
from comity.signing import errors as errs
from comity.transport.egress import Outbound
from comity.transport.errors import DeliveryFailed
from comity.transport.evidence import evidence_digest, make_evidence, verify_evidence
from comity.transport.interface import EvidenceType
from comity.transport.message import Message, encode_message
from comity.transport.tlp import Tlp
from unit.transport.transport_support import Federation, agreement, node_key

ITEM = Outbound(kind="preservation_request", recipient="FR", tlp=Tlp.AMBER, facts={"request_id": "req_9"})


def _message(fed: Federation, **changes: object) -> Message:
    now = fed.clock.now().replace(microsecond=0)
    base = Message(
        message_id="msg_fixed",
        kind="preservation_request",
        sender="IE",
        recipient="FR",
        agreement_id="eev-ie-fr",
        agreement_version=1,
        tlp=Tlp.AMBER,
        created_at=now,
        expires_at=now + timedelta(days=1),
        body={"facts": {"request_id": "req_9"}, "data": {}, "pseudonymised": []},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_delivery_evidence_is_signed_chained_and_ends_with_retrieval(fed: Federation) -> None:
    prepared, receipt = fed.gate.send(ITEM, agreement=agreement())
    assert [e.kind for e in receipt.evidence] == [EvidenceType.ACCEPTED, EvidenceType.DELIVERED]
    assert receipt.status is EvidenceType.DELIVERED
    assert not receipt.duplicate
    accepted, delivered = receipt.evidence
    assert accepted.previous is None
    assert delivered.previous == evidence_digest(accepted)
    for evidence in receipt.evidence:
        verify_evidence(evidence, keys=fed.keys, at=fed.clock.now())
        assert evidence.digest == prepared.digest
    [inbound] = fed.fr_transport.receive()
    assert inbound.message.message_id == prepared.message_id
    assert fed.fr_transport.receive() == []  # retrieved once
    after = fed.ie_transport.receipt("FR", prepared.message_id)
    assert after.status is EvidenceType.RETRIEVED
    assert after.evidence[-1].previous == evidence_digest(delivered)


def test_evidence_altered_or_signed_by_another_node_is_refused(fed: Federation) -> None:
    _, receipt = fed.gate.send(ITEM, agreement=agreement())
    altered = replace(receipt.evidence[0], recipient="IE")
    with pytest.raises(errs.MalformedPayload, match="signed facts differ"):
        verify_evidence(altered, keys=fed.keys, at=fed.clock.now())
    genuine = receipt.evidence[1]
    # The sender forging a delivery evidence for the recipient, with its own node key:
    forged = make_evidence(
        EvidenceType.DELIVERED,
        message_id=genuine.message_id,
        digest=genuine.digest,
        sender="IE",
        recipient="FR",
        at=genuine.at,
        previous=receipt.evidence[0],
        signer=fed.ie_signer,
    )
    with pytest.raises(errs.WrongSender, match="not by the recipient FR"):
        verify_evidence(forged, keys=fed.keys, at=fed.clock.now())


def test_the_same_bytes_twice_get_the_same_receipt_and_one_delivery(fed: Federation) -> None:
    prepared = fed.gate.prepare(ITEM, agreement=agreement())
    first = fed.ie_transport.send("FR", prepared.data)
    fed.clock.advance(timedelta(minutes=3))
    second = fed.ie_transport.send("FR", prepared.data)
    assert second.duplicate
    assert second.evidence == first.evidence
    assert len(fed.fr_transport.receive()) == 1
    third = fed.ie_transport.send("FR", prepared.data)  # a retry after retrieval is still no new delivery
    assert third.duplicate
    assert fed.fr_transport.receive() == []


def test_a_replayed_message_id_with_other_content_is_refused(fed: Federation) -> None:
    fed.ie_transport.send("FR", encode_message(_message(fed), signer=fed.ie_signer))
    replay = encode_message(_message(fed, body={"facts": {"request_id": "req_666"}}), signer=fed.ie_signer)
    with pytest.raises(errs.Replayed, match="msg_fixed"):
        fed.ie_transport.send("FR", replay)
    assert len(fed.fr_transport.receive()) == 1


def test_an_expired_message_is_refused_and_its_id_can_then_be_forgotten(fed: Federation) -> None:
    data = encode_message(_message(fed), signer=fed.ie_signer)
    fed.ie_transport.send("FR", data)
    fed.fr_transport.receive()
    fed.clock.advance(timedelta(days=1))
    assert fed.fr_inbox.prune() == 1
    with pytest.raises(errs.Expired, match="msg_fixed expired"):
        fed.ie_transport.send("FR", data)


def test_a_message_from_the_future_is_refused(fed: Federation) -> None:
    later = fed.clock.now().replace(microsecond=0) + timedelta(minutes=6)
    data = encode_message(
        _message(fed, created_at=later, expires_at=later + timedelta(days=1)), signer=fed.ie_signer
    )
    with pytest.raises(errs.IssuedInFuture):
        fed.ie_transport.send("FR", data)


def test_wrong_recipient_unknown_sender_and_impersonation(fed: Federation) -> None:
    with pytest.raises(errs.WrongAddressee, match="not to 'IE'"):
        fed.fr_transport.send("IE", encode_message(_message(fed), signer=fed.ie_signer))
    stranger, _ = node_key("IE")
    with pytest.raises(errs.UnknownKey):
        fed.ie_transport.send("FR", encode_message(_message(fed), signer=stranger))
    with pytest.raises(errs.WrongSender, match="signed by a node key of FR"):
        fed.ie_transport.send("FR", encode_message(_message(fed, recipient="FR"), signer=fed.fr_signer))


def test_a_message_altered_in_transit_is_refused(fed: Federation) -> None:
    data = bytearray(fed.gate.prepare(ITEM, agreement=agreement()).data)
    data[len(data) // 3] ^= 0x04
    with pytest.raises(VerificationError):
        fed.ie_transport.send("FR", bytes(data))
    assert fed.fr_transport.receive() == []


def test_an_unreachable_node_then_delivery_when_it_returns(fed: Federation) -> None:
    prepared = fed.gate.prepare(ITEM, agreement=agreement())
    inbox = fed.network.detach("FR")
    with pytest.raises(DeliveryFailed, match="not reachable"):
        fed.ie_transport.send("FR", prepared.data)
    fed.network.attach(inbox)
    assert fed.ie_transport.send("FR", prepared.data).status is EvidenceType.DELIVERED
    with pytest.raises(ValueError, match="already attached"):
        fed.network.attach(inbox)
    with pytest.raises(DeliveryFailed):
        fed.ie_transport.receipt("FR", "msg_unknown")
