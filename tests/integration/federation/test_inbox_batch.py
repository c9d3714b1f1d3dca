"""The batch inbox does its database work in bulk: the same answers as one message at a time."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from integration.federation.nodes import Node
from integration.federation.test_exchange import INBOX, forge, queue, received


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
