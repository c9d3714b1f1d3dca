"""Two nodes, each its own database, exchanging over their HTTP inboxes (in-process ASGI clients)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from comity.alerts.model import Alert
from comity.clock import FixedClock
from comity.federation.directory import PeerKeys
from comity.federation.model import ReceivedMessage
from comity.federation.outbound import HttpFederationDeliverer, send
from comity.federation.receipts import verify_receipt
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import service as keys
from comity.outbox.model import OutboxMessage, OutboxStatus
from comity.outbox.service import deliver_due
from comity.signing.keys import KeyPurpose, RevocationReason
from comity.signing.payload import truncate_to_second
from comity.transport.egress import Outbound
from comity.transport.message import Message, encode_message
from comity.transport.tlp import Tlp
from integration.federation.nodes import AGREEMENT, Node

INBOX = "/api/v1/federation/inbox"
ITEM = Outbound(
    kind="production_request",
    recipient="DE",
    tlp=Tlp.AMBER_STRICT,
    facts={"request_id": "req_1", "offence": "counterfeit_goods"},
    data={"subscriber": {"email": "seller@example.org", "shoe_size": "44"}},
)


def queue(node: Node, item: Outbound = ITEM, *, max_attempts: int = 8) -> tuple[str, str, bytes]:
    """Queue ``item`` on ``node``; return (message id, outbox id, bytes)."""
    with node.container.transaction() as session:
        prepared, row = send(
            session,
            clock=node.container.clock,
            actor=SYSTEM_ACTOR,
            keystore=node.keystore,
            node=node.code,
            item=item,
            agreement_id=AGREEMENT,
            subject_type="test",
            subject_id="t1",
            max_attempts=max_attempts,
        )
        return prepared.message_id, row.id, prepared.data


def deliver(node: Node, client: httpx.Client) -> Any:
    deliverer = HttpFederationDeliverer(node.container, client=client)
    return deliver_due(
        node.container.sessions, clock=node.container.clock, deliverers={"federation": deliverer}
    )


def outbox_row(node: Node, outbox_id: str) -> OutboxMessage:
    with node.container.transaction() as session:
        row = session.get(OutboxMessage, outbox_id)
        assert row is not None
        session.expunge(row)
        return row


def received(node: Node) -> list[ReceivedMessage]:
    with node.container.transaction() as session:
        rows = list(session.scalars(select(ReceivedMessage)))
        for row in rows:
            session.expunge(row)
        return rows


def alerts(node: Node, kind: str) -> list[Alert]:
    with node.container.transaction() as session:
        return list(session.scalars(select(Alert).where(Alert.kind == kind)))


def forge(node: Node, *, recipient: str = "DE", sender: str | None = None, **changes: Any) -> bytes:
    """A message signed by ``node``'s current node key (not through the gate: for refusal tests)."""
    now = truncate_to_second(node.container.clock.now())
    fields: dict[str, Any] = {
        "message_id": "msg_forged",
        "kind": "note",
        "sender": sender or node.code,
        "recipient": recipient,
        "agreement_id": AGREEMENT,
        "agreement_version": 1,
        "tlp": Tlp.AMBER,
        "created_at": now,
        "expires_at": now + timedelta(days=1),
        "body": {"facts": {"n": 1}, "data": {}, "pseudonymised": []},
    }
    fields.update(changes)
    signer = node.keystore.signer(node.node_key(KeyPurpose.NODE_SIGNING))
    return encode_message(Message(**fields), signer=signer)


def test_round_trip_with_signed_receipts_and_minimisation(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    message_id, outbox_id, data = queue(ie)
    result = deliver(ie, http["DE"])
    assert (result.delivered, result.retried, result.failed) == (1, 0, 0)

    row = outbox_row(ie, outbox_id)
    assert row.status == OutboxStatus.DELIVERED.value
    receipt = row.evidence["receipt"]
    assert receipt["message_id"] == message_id
    assert receipt["recipient"] == "DE"
    assert [json.loads(base64.b64decode(e["payload"]))["event"] for e in receipt["evidence"]] == [
        "accepted",
        "delivered",
    ]
    # The evidence IE keeps verifies later against DE's keys, as IE imported them.
    with ie.container.transaction() as session:
        verify_receipt(
            json.dumps(receipt).encode(),
            keys=PeerKeys.load(session),
            message_id=message_id,
            digest=row.evidence["receipt"]["digest"],
            recipient="DE",
            at=ie.container.clock.now(),
        )

    (stored,) = received(de)
    assert stored.message_id == message_id
    assert stored.sender == "IE"
    assert stored.data == data
    # The field the agreement does not list never left IE; the permitted one did.
    assert stored.body["data"] == {"subscriber": {"email": "seller@example.org"}}
    assert b"shoe_size" not in data
    assert b"seller@example.org" not in data

    # And back: DE answers IE.
    answer = Outbound(kind="production_answer", recipient="IE", tlp=Tlp.AMBER, facts={"request_id": "req_1"})
    queue(de, answer)
    assert deliver(de, http["IE"]).delivered == 1
    assert [m.kind for m in received(ie)] == ["production_answer"]


def test_same_bytes_again_get_the_original_receipt_and_nothing_twice(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    _, _, data = queue(nodes["IE"])
    first = http["DE"].post(INBOX, content=data)
    again = http["DE"].post(INBOX, content=data)
    assert first.status_code == again.status_code == 200
    assert first.json()["duplicate"] is False
    assert again.json()["duplicate"] is True
    assert again.json()["evidence"] == first.json()["evidence"]
    assert len(received(nodes["DE"])) == 1


def refusal(client: TestClient, data: bytes) -> str:
    response = client.post(INBOX, content=data)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["code"])


def test_replay_of_a_message_id_with_other_content_is_refused(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie = nodes["IE"]
    assert http["DE"].post(INBOX, content=forge(ie)).status_code == 200
    again = forge(ie, body={"facts": {"n": 2}, "data": {}, "pseudonymised": []})
    assert refusal(http["DE"], again) == "replayed"
    assert len(alerts(nodes["DE"], "federation_refused")) == 1


def test_expired_and_future_messages_are_refused(nodes: dict[str, Node], http: dict[str, TestClient]) -> None:
    ie = nodes["IE"]
    _, _, data = queue(ie)
    clock = nodes["DE"].container.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=8))  # the gate's default time to live is 7 days
    assert refusal(http["DE"], data) == "expired"
    clock.advance(timedelta(days=-8))
    ahead = truncate_to_second(clock.now()) + timedelta(minutes=30)
    assert refusal(http["DE"], forge(ie, created_at=ahead, expires_at=ahead + timedelta(days=1))) == (
        "issued_in_future"
    )


def test_unknown_sender_wrong_recipient_and_wrong_key(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, fr = nodes["IE"], nodes["FR"]
    assert refusal(http["DE"], forge(fr)) == "unknown_peer"  # FR is not DE's peer
    assert refusal(http["DE"], forge(fr, sender="IE")) == "unknown_key"  # FR's key claiming to be IE
    assert refusal(http["DE"], forge(ie, recipient="FR")) == "wrong_addressee"
    # Addressed to DE but sealed to FR's key: DE cannot decrypt it.
    with fr.container.transaction() as session:
        sealed_to = keys.find_key(session, fr.node_key(KeyPurpose.NODE_ENCRYPTION)).to_key_info()
    message = Message(
        message_id="msg_sealed_wrong",
        kind="note",
        sender="IE",
        recipient="DE",
        agreement_id=AGREEMENT,
        agreement_version=1,
        tlp=Tlp.AMBER,
        created_at=truncate_to_second(ie.container.clock.now()),
        expires_at=truncate_to_second(ie.container.clock.now()) + timedelta(days=1),
        body={"facts": {}, "data": {}, "pseudonymised": []},
    )
    data = encode_message(
        message, signer=ie.keystore.signer(ie.node_key(KeyPurpose.NODE_SIGNING)), seal_to=sealed_to
    )
    assert refusal(http["DE"], data) == "decryption_failed"


def test_agreement_not_in_force_with_the_peer_is_refused(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    assert refusal(http["DE"], forge(nodes["IE"], agreement_id="dsa-eu5")) == "agreement_not_in_force"


def test_revoked_key_is_refused_once_the_revocation_is_imported(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    old = forge(ie, message_id="msg_old_key")
    clock = ie.container.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(seconds=2))  # a newer export than the one DE holds
    with ie.container.transaction() as session:
        old_key = ie.node_key(KeyPurpose.NODE_SIGNING)
        keys.register_key(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            keystore=ie.keystore,
            jurisdiction="IE",
            purpose=KeyPurpose.NODE_SIGNING,
        )
        keys.revoke_key(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            keystore=ie.keystore,
            keyid=old_key,
            comment="suspected compromise",
            reason=RevocationReason.KEY_COMPROMISE,
        )
    from comity.federation import directory

    with de.container.transaction() as session:
        directory.import_trust(session, clock=clock, actor=SYSTEM_ACTOR, node="DE", document=ie.trust_store())
    assert refusal(http["DE"], old) == "key_revoked"
    assert http["DE"].post(INBOX, content=forge(ie, message_id="msg_new_key")).status_code == 200


def test_altered_in_transit_is_refused_and_both_sides_alert(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    _, outbox_id, data = queue(ie, max_attempts=1)
    envelope = json.loads(data)
    payload = bytearray(base64.b64decode(envelope["payload"]))
    payload[-5] ^= 0x01  # one bit flipped inside the sealed ciphertext
    envelope["payload"] = base64.b64encode(bytes(payload)).decode()
    with ie.container.transaction() as session:
        row = session.get(OutboxMessage, outbox_id)
        assert row is not None
        row.payload = json.dumps(envelope).encode()
    result = deliver(ie, http["DE"])
    assert result.failed == 1
    assert outbox_row(ie, outbox_id).status == OutboxStatus.FAILED.value
    assert "bad_signature" in (outbox_row(ie, outbox_id).last_error or "")
    assert len(alerts(ie, "delivery_failed")) == 1
    assert [a.details["code"] for a in alerts(de, "federation_refused")] == ["bad_signature"]
    assert received(de) == []


def test_peer_down_then_back_is_delivered_once(nodes: dict[str, Node], http: dict[str, TestClient]) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    _, outbox_id, _ = queue(ie)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    result = deliver(ie, httpx.Client(transport=httpx.MockTransport(down)))
    assert (result.delivered, result.retried) == (0, 1)
    row = outbox_row(ie, outbox_id)
    assert row.status == OutboxStatus.PENDING.value
    assert "unreachable" in (row.last_error or "")
    clock = ie.container.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(hours=2))  # past any backoff
    assert deliver(ie, http["DE"]).delivered == 1
    clock.advance(timedelta(hours=2))
    assert deliver(ie, http["DE"]).delivered == 0
    with de.container.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ReceivedMessage)) == 1


def test_a_batch_is_receipted_item_by_item(nodes: dict[str, Node], http: dict[str, TestClient]) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    first = queue(ie)[2]
    second = queue(ie)[2]
    wrong = forge(ie, recipient="FR")
    tampered = forge(ie, message_id="msg_x").replace(b'"payload":"', b'"payload":"A', 1)
    batch = [first, second, first, wrong, tampered]
    response = http["DE"].post(
        INBOX + "/batch", json={"messages": [base64.b64encode(m).decode() for m in batch]}
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 200, 200, 422, 422]
    assert [r["receipt"]["duplicate"] for r in results[:3]] == [False, False, True]
    assert results[3]["code"] == "wrong_addressee"
    assert len(received(de)) == 2
    # The single-message inbox knows the batch's messages: the same bytes get the same receipt.
    again = http["DE"].post(INBOX, content=second)
    assert again.json()["evidence"] == results[1]["receipt"]["evidence"]
    for body in ({"messages": []}, {"messages": ["%%%"]}, {"nope": 1}):
        assert http["DE"].post(INBOX + "/batch", json=body).status_code == 422
