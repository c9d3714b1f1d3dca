"""The batch inbox does its database work in bulk: the same answers as one message at a time."""

from __future__ import annotations

import base64
import dataclasses
from datetime import timedelta

from fastapi.testclient import TestClient

from comity.clock import FixedClock
from integration.federation.nodes import Node
from integration.federation.test_exchange import INBOX, ITEM, forge, queue, received


def _post(client: TestClient, batch: list[bytes]) -> list[dict[str, object]]:
    response = client.post(INBOX + "/batch", json={"messages": [base64.b64encode(m).decode() for m in batch]})
    assert response.status_code == 200, response.text
    results: list[dict[str, object]] = response.json()["results"]
    return results


def test_one_id_with_other_bytes_in_one_batch_is_a_replay(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    original = forge(ie, message_id="msg_twice", body={"facts": {"n": 1}, "data": {}, "pseudonymised": []})
    other = forge(ie, message_id="msg_twice", body={"facts": {"n": 2}, "data": {}, "pseudonymised": []})
    results = _post(http["DE"], [original, other, original])
    assert [r["status"] for r in results] == [200, 422, 200]
    assert results[1]["code"] == "replayed"
    assert results[2]["receipt"]["duplicate"] is True  # type: ignore[index]
    assert [m.message_id for m in received(de)] == ["msg_twice"]
    # Across batches too: the stored id refuses other bytes, the stored bytes get their receipt again.
    again = _post(http["DE"], [other, original])
    assert [r["status"] for r in again] == [422, 200]


def test_a_refused_message_does_not_stop_the_batch_being_stored(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    good = [queue(ie)[2] for _ in range(3)]
    stranger = forge(nodes["FR"], sender="FR")
    results = _post(http["DE"], [good[0], stranger, good[1], good[2]])
    assert [r["status"] for r in results][0::2] == [200, 200]
    assert results[1]["code"] == "unknown_peer"
    assert len(received(de)) == 3


def test_the_inbox_answers_429_with_retry_after_past_the_burst(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    limiter = http["DE"].app.state.inbox_limiter  # type: ignore[attr-defined]
    limiter.burst, limiter.rate = 2, 0.001
    ie = nodes["IE"]
    answers = [http["DE"].post(INBOX, content=queue(ie)[2]) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["content-type"] == "application/problem+json"
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert answers[2].json()["type"].endswith("/rate-limited")
    assert len(received(nodes["DE"])) == 2  # refused before anything was read or stored


def _counting(client: TestClient) -> list[str]:
    paths: list[str] = []
    client.event_hooks["request"].append(lambda request: paths.append(request.url.path))
    return paths


def test_the_outbox_carries_a_backlog_for_one_peer_in_one_batch_request(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    from comity.outbox.model import OutboxStatus
    from integration.federation.test_exchange import deliver, outbox_row

    ie, de = nodes["IE"], nodes["DE"]
    queued = [queue(ie) for _ in range(3)]
    paths = _counting(http["DE"])
    result = deliver(ie, http["DE"])
    assert (result.delivered, result.failed, result.retried) == (3, 0, 0)
    assert paths == [INBOX + "/batch"]
    for message_id, outbox_id, _ in queued:
        row = outbox_row(ie, outbox_id)
        assert row.status == OutboxStatus.DELIVERED.value
        assert row.evidence["receipt"]["message_id"] == message_id  # each receipt verified for its message
    assert len(received(de)) == 3

    # One message the peer refuses for good fails at once; the others in the batch are delivered.
    good = queue(ie)
    late = queue(ie, dataclasses.replace(ITEM, ttl=timedelta(seconds=30)))
    clock = ie.container.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=1))  # the short-lived one expired on the way
    result = deliver(ie, http["DE"])
    assert (result.delivered, result.failed, result.retried) == (1, 1, 0)
    assert outbox_row(ie, good[1]).status == OutboxStatus.DELIVERED.value
    assert outbox_row(ie, late[1]).status == OutboxStatus.FAILED.value
    assert "expired" in (outbox_row(ie, late[1]).last_error or "")
    assert paths == [INBOX + "/batch"] * 2


def test_a_batch_the_peer_does_not_take_is_retried_whole(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    from comity.outbox.model import OutboxStatus
    from integration.federation.test_exchange import deliver, outbox_row

    ie, de = nodes["IE"], nodes["DE"]
    queued = [queue(ie) for _ in range(2)]
    limiter = http["DE"].app.state.inbox_limiter  # type: ignore[attr-defined]
    limiter.burst, limiter.rate = 1, 0.001
    http["DE"].post(INBOX, content=b"{}")  # spends the one token: the batch meets 429
    result = deliver(ie, http["DE"])
    assert (result.delivered, result.retried, result.failed) == (0, 2, 0)
    for _, outbox_id, _ in queued:
        row = outbox_row(ie, outbox_id)
        assert row.status == OutboxStatus.PENDING.value
        assert "did not take the batch (429" in (row.last_error or "")
    assert received(de) == []
