"""Received messages are handed to their feature by the worker; failures retry, then alert; RETRIEVAL
evidence goes back to the sender, which verifies it before keeping it with the message it sent."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.federation import dispatch
from comity.federation.dispatch import HandlerContext, dispatch_pending, register_handler
from comity.federation.model import ReceivedMessage
from comity.outbox.model import OutboxMessage
from comity.transport.egress import Outbound
from comity.transport.tlp import Tlp
from integration.federation.nodes import Node
from integration.federation.test_directory import admin_token
from integration.federation.test_exchange import alerts, deliver, outbox_row, queue, received
from support import bearer

NOTE = Outbound(kind="dispatch_test_note", recipient="DE", tlp=Tlp.AMBER, facts={"n": 1})
SEEN: list[dict[str, Any]] = []


@register_handler("dispatch_test_note")
def _note(session: Session, context: HandlerContext, message: ReceivedMessage) -> None:
    SEEN.append({"node": context.node, "facts": message.body["facts"], "from": message.sender})


def _row(node: Node, message_id: str) -> ReceivedMessage:
    with node.container.transaction() as session:
        row = session.get(ReceivedMessage, message_id)
        assert row is not None
        session.expunge(row)
        return row


def test_a_handled_message_is_retrieved_and_the_sender_keeps_the_retrieval_evidence(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    SEEN.clear()
    message_id, outbox_id, _ = queue(ie, NOTE)
    assert deliver(ie, http["DE"]).delivered == 1
    assert dispatch_pending(de.container) == 1
    assert SEEN == [{"node": "DE", "facts": {"n": 1}, "from": "IE"}]
    assert _row(de, message_id).retrieved_at is not None
    assert dispatch_pending(de.container) == 0  # handled once
    # DE's RETRIEVAL evidence travels back as a message of its own; IE verifies it and keeps it.
    assert deliver(de, http["IE"]).delivered == 1
    assert dispatch_pending(ie.container) == 1
    kept = outbox_row(ie, outbox_id).evidence
    assert kept["retrieval"]["by"] == "DE"
    assert kept["receipt"]["message_id"] == message_id
    # ... and the evidence of the evidence is not sent back again (it would never end).
    with ie.container.transaction() as session:
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.destination == "DE")).all() != []
        back = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "delivery_evidence")).all()
    assert back == []


def test_a_message_without_handler_is_retried_then_given_up_with_an_alert_then_requeued(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    message_id, _, _ = queue(ie, Outbound(kind="nobody_handles_this", recipient="DE", tlp=Tlp.AMBER))
    deliver(ie, http["DE"])
    for attempt in range(1, dispatch.MAX_HANDLING_ATTEMPTS + 1):
        assert dispatch_pending(de.container) == 0
        row = _row(de, message_id)
        assert row.handling_attempts == attempt
        assert "no handler" in (row.handling_error or "")
    assert row.handling_failed_at is not None
    assert row.retrieved_at is None
    assert len(alerts(de, "federation_message_unhandled")) == 1
    assert dispatch_pending(de.container) == 0  # given up: no longer tried
    token = admin_token(de)
    failed = http["DE"].get("/api/v1/federation/received?state=failed", headers=bearer(token)).json()
    assert [m["message_id"] for m in failed] == [message_id]
    assert "body" not in failed[0]
    requeued = http["DE"].post(f"/api/v1/federation/received/{message_id}/requeue", headers=bearer(token))
    assert requeued.status_code == 200, requeued.text
    assert requeued.json()["handling_failed_at"] is None
    assert [
        m["message_id"]
        for m in http["DE"].get("/api/v1/federation/received?state=pending", headers=bearer(token)).json()
    ] == [message_id]
    again = http["DE"].post(f"/api/v1/federation/received/{message_id}/requeue", headers=bearer(token))
    assert again.status_code == 409


@pytest.mark.parametrize("role_path", ["/api/v1/federation/received"])
def test_received_messages_are_for_administrators(
    nodes: dict[str, Node], http: dict[str, TestClient], role_path: str
) -> None:
    from comity.kinds import Role

    assert http["DE"].get(role_path).status_code == 401
    auditor = admin_token(nodes["DE"], Role.AUDITOR)
    assert http["DE"].get(role_path, headers=bearer(auditor)).status_code == 403
    assert received(nodes["DE"]) == []


def test_handled_content_is_purged_after_expiry_but_the_tombstone_still_dedupes(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    from datetime import timedelta

    from comity.clock import FixedClock
    from comity.federation.retention import DEFAULT_RETENTION, PURGED_BODY, purge_handled
    from integration.federation.test_exchange import INBOX

    ie, de = nodes["IE"], nodes["DE"]
    handled_id, _, handled_bytes = queue(ie, NOTE)
    pending_id, _, _ = queue(ie, Outbound(kind="nobody_handles_this", recipient="DE", tlp=Tlp.AMBER))
    deliver(ie, http["DE"])
    dispatch_pending(de.container)
    clock = de.container.clock
    assert isinstance(clock, FixedClock)
    assert purge_handled(de.container, clock=clock) == 0  # not yet expired
    clock.advance(NOTE.ttl + DEFAULT_RETENTION + timedelta(minutes=10))
    assert purge_handled(de.container, clock=clock) == 1
    purged = _row(de, handled_id)
    assert (purged.data, purged.body) == (b"", PURGED_BODY)
    assert _row(de, pending_id).data != b""  # never handled: kept for an administrator to requeue
    assert purge_handled(de.container, clock=clock) == 0
    # The same bytes again still get the original receipt (the digest stayed), nothing is stored twice.
    again = http["DE"].post(INBOX, content=handled_bytes)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert len(received(de)) == 2
