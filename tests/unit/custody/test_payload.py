"""Custody event payloads: canonical bytes, strict parsing, salted commitments."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from comity.custody.payload import CustodyPayload, EvidenceFacts, commitment, envelope_digest
from comity.custody.states import CustodyAction
from comity.signing.errors import MalformedPayload
from comity.signing.payload import canonical_json

T = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
SHA = "ab" * 32


def _payload(**changes: object) -> CustodyPayload:
    values: dict[str, object] = {
        "event": "cev_1",
        "evidence": "evd_1",
        "sha256": SHA,
        "size": 42,
        "seq": 1,
        "action": CustodyAction.COLLECTED,
        "occurred_at": T,
        "actor": "usr_1",
        "jurisdiction": "IE",
        "case": "case_1",
        "previous": None,
        "organisation": "org_1",
        "commitment": "cd" * 32,
        "facts": EvidenceFacts("screenshot", "content", "amber", "image/png", "W-1"),
    }
    values.update(changes)
    return CustodyPayload(**values)  # type: ignore[arg-type]


def test_round_trip_and_canonical_bytes() -> None:
    payload = _payload(started_at=T, ended_at=T, counterparty="FR")
    data = payload.to_payload()
    assert data == json.dumps(json.loads(data), sort_keys=True, separators=(",", ":")).encode()
    assert CustodyPayload.from_payload(data) == payload
    assert _payload(actor="node:IE").is_node_action
    assert not payload.is_node_action


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(action="lost"), "not a custody action"),
        (lambda d: d.update(format="other/v1"), "format"),
        (lambda d: d.update(extra=1), "unexpected field"),
        (lambda d: d.pop("previous"), "previous: missing"),
        (lambda d: d.update(sha256="AB" * 32), "sha256"),
        (lambda d: d.update(seq=0), "seq starts at 1"),
        (lambda d: d.update(occurred_at="2026-09-01 08:00:00"), "YYYY-MM-DDTHH:MM:SSZ"),
        (lambda d: d.update(occurred_at="2026-02-30T08:00:00Z"), "not a real instant"),
        (lambda d: d.update(actor="has space"), "actor"),
    ],
)
def test_parsing_is_strict(mutate: object, message: str) -> None:
    document = json.loads(_payload().to_payload())
    mutate(document)  # type: ignore[operator]
    with pytest.raises(MalformedPayload, match=message):
        CustodyPayload.from_payload(canonical_json(document))


def test_duplicate_keys_and_other_spellings_are_refused() -> None:
    data = _payload().to_payload()
    for variant in (
        data.replace(b'{"action"', b'{"action":"sealed","action"', 1),
        data.replace(b",", b", "),
        json.dumps(json.loads(data)).encode(),  # the same content, spaced
    ):
        with pytest.raises(MalformedPayload, match="canonical form"):
            CustodyPayload.from_payload(variant)
    with pytest.raises(MalformedPayload, match="not valid JSON"):
        CustodyPayload.from_payload(b"{")


def test_commitments_hide_and_bind() -> None:
    salt = os.urandom(32)
    fields = {"source": "http://shop.example/42", "filename": None}
    value = commitment(salt, fields)
    assert value == commitment(salt, dict(reversed(list(fields.items()))))  # key order does not matter
    assert value != commitment(os.urandom(32), fields)
    assert value != commitment(salt, {"source": "http://shop.example/43", "filename": None})
    with pytest.raises(ValueError, match="32 bytes"):
        commitment(b"short", fields)
    assert envelope_digest(b"{}") == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
