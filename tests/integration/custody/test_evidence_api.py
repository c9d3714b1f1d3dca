"""Upload, download, limits and permissions of the evidence vault API."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

from fastapi.testclient import TestClient
from sqlalchemy import select

from comity.audit.model import AuditEvent
from comity.custody.model import CustodyEvent, EvidenceItem, LegalHold
from comity.custody.payload import CustodyPayload
from comity.keys import queries
from comity.keys.model import RegisteredKey
from comity.kinds import OrganisationKind, Role
from comity.signing.envelope import Envelope, PayloadType, verify
from comity.signing.keys import KeyPurpose
from comity.web.container import Container
from integration.custody.custody_support import (
    API,
    UserFactory,
    blob_files,
    close_case,
    count,
    join_case,
    upload,
)
from support import bearer

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def test_upload_stores_bytes_signs_collected_and_audits(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    token = make_user(Role.OFFICER)
    response = upload(client, token, PNG, node.clock.now())
    assert response.status_code == 201, response.text
    item = response.json()
    digest = hashlib.sha256(PNG).hexdigest()
    assert (item["sha256"], item["size_bytes"], item["media_type"]) == (digest, len(PNG), "image/png")
    # Held: its case is open (an open case keeps its evidence past retention).
    assert (item["state"], item["event_count"], item["tlp"], item["held"]) == (
        "open",
        1,
        "amber+strict",
        True,
    )
    assert blob_files(node) == [f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"]
    with node.transaction() as session:
        event = session.scalars(select(CustodyEvent)).one()
        trail = session.scalars(select(AuditEvent).where(AuditEvent.id == event.audit_event_id)).one()
        officer_key = session.get(RegisteredKey, event.keyid)
        ring = queries.key_ring(session)
    # The officer's key was created on first use, in the registry, for this officer only.
    assert officer_key is not None
    assert officer_key.purpose == KeyPurpose.OFFICER_SIGNING
    assert officer_key.officer == item["collected_by"]
    assert officer_key.private_key_held
    verified = verify(
        Envelope.from_json(event.envelope),
        keys=ring,
        expected_type=PayloadType.CUSTODY_EVENT,
        purposes={KeyPurpose.OFFICER_SIGNING},
        at=event.occurred_at,
    )
    payload = CustodyPayload.from_payload(verified.payload)
    assert (payload.action.value, payload.sha256, payload.previous, payload.seq) == (
        "collected",
        digest,
        None,
        1,
    )
    assert payload.facts is not None
    assert payload.facts.legal_authority == "IE-WARRANT-2026-17"
    # The source URL and file name are not in the signed payload, only their salted commitment.
    assert b"onion" not in verified.payload
    assert b"listing-42" not in verified.payload
    assert trail.tag == "custody:evidence:collected"
    assert trail.details["envelope_sha256"] == hashlib.sha256(event.envelope.encode()).hexdigest()
    assert trail.details["evidence_sha256"] == digest


def test_download_streams_verified_bytes_and_records_access(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    token = make_user(Role.OFFICER)
    evidence_id = upload(client, token, PNG, node.clock.now()).json()["id"]
    response = client.get(
        f"{API}/evidence/{evidence_id}/content", params={"purpose": "comparison"}, headers=bearer(token)
    )
    assert response.status_code == 200
    assert response.content == PNG
    expected = base64.b64encode(hashlib.sha256(PNG).digest()).decode()
    assert response.headers["repr-digest"] == f"sha-256=:{expected}:"
    assert response.headers["content-type"] == "image/png"
    detail = client.get(f"{API}/evidence/{evidence_id}", headers=bearer(token)).json()
    assert [e["action"] for e in detail["events"]] == ["collected", "accessed"]
    accessed = detail["events"][1]
    assert accessed["note"] == "comparison"
    assert accessed["previous_sha256"] == detail["events"][0]["envelope_sha256"]
    with node.transaction() as session:
        tags = session.scalars(
            select(AuditEvent.tag).where(AuditEvent.subject_id == evidence_id).order_by(AuditEvent.seq)
        ).all()
    # The access is a signed custody event; reading the metadata is audited as well.
    assert tags == ["custody:evidence:collected", "custody:evidence:accessed", "custody:evidence:read"]


def test_an_upload_over_the_limit_is_refused_with_nothing_written(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    token = make_user(Role.OFFICER)
    node.settings.evidence_max_bytes = 1000
    declared = upload(client, token, b"x" * 1001, node.clock.now())
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"
    assert declared.json()["type"].endswith("/evidence-too-large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while streaming
        for _ in range(8):
            yield b"y" * 300

    streamed = upload(client, token, chunks(), node.clock.now())
    assert streamed.status_code == 413
    assert blob_files(node) == []
    with node.transaction() as session:
        assert session.scalars(select(EvidenceItem)).all() == []
    ok = upload(client, token, b"z" * 1000, node.clock.now())
    assert ok.status_code == 201


def test_refusals_happen_before_any_byte_is_stored(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    officer = make_user(Role.OFFICER)
    foreign = make_user(Role.OFFICER, jurisdiction="FR")
    platform = make_user(Role.PLATFORM, kind=OrganisationKind.PLATFORM)
    past = upload(client, officer, PNG, node.clock.now(), retention_days=-1)
    assert past.status_code == 422
    assert "retention_until" in [e["path"] for e in past.json()["errors"]]
    assert upload(client, foreign, PNG, node.clock.now()).status_code == 403
    assert upload(client, platform, PNG, node.clock.now()).status_code == 403
    assert upload(client, officer, PNG, node.clock.now(), case_id="bad case id").status_code == 422
    assert upload(client, officer, b"", node.clock.now()).status_code == 422
    assert blob_files(node) == []


def test_readers_are_the_case_readers_among_the_node_custodians(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    officer = make_user(Role.OFFICER)
    evidence_id = upload(client, officer, PNG, node.clock.now()).json()["id"]
    judge = make_user(Role.JUDGE)
    outsider = make_user(Role.OFFICER)
    auditor = make_user(Role.AUDITOR)
    foreign = make_user(Role.OFFICER, jurisdiction="FR")
    content = f"{API}/evidence/{evidence_id}/content"
    # Not on the case: the item does not exist for them (officer or judge of this very jurisdiction).
    for stranger in (judge, outsider, foreign):
        assert client.get(content, headers=bearer(stranger)).status_code == 404
        assert client.get(f"{API}/evidence/{evidence_id}", headers=bearer(stranger)).status_code == 404
        listing = client.get(f"{API}/evidence", params={"case_id": "case_1"}, headers=bearer(stranger))
        assert listing.status_code == 404
    assert client.get(content, headers=bearer(auditor)).status_code == 403  # the role never handles evidence
    join_case(node, judge)
    join_case(node, foreign)  # a member from another jurisdiction sees the case, but custody is IE's
    assert client.get(content, headers=bearer(judge)).status_code == 200
    assert client.get(content, headers=bearer(foreign)).status_code == 403
    assert client.get(f"{API}/evidence/{evidence_id}", headers=bearer(foreign)).status_code == 403
    listed = client.get(f"{API}/evidence", params={"case_id": "case_1"}, headers=bearer(judge))
    assert [i["id"] for i in listed.json()] == [evidence_id]
    with node.transaction() as session:
        reads = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == "custody:case:listed").order_by(AuditEvent.seq)
        ).all()
    assert reads[-1].details["basis"] == "membership"
    assert reads[-1].details["basis_detail"] == "judge"


def test_identical_uploads_share_one_blob_until_both_are_destroyed(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    token = make_user(Role.OFFICER)
    first = upload(client, token, PNG, node.clock.now()).json()["id"]
    second = upload(client, token, PNG, node.clock.now(), case_id="case_2").json()["id"]
    assert len(blob_files(node)) == 1
    body = {"reason": "not relevant to the case"}
    assert client.post(f"{API}/evidence/{first}/destroy", json=body, headers=bearer(token)).status_code == 201
    assert len(blob_files(node)) == 1  # still the bytes of the second item
    gone = client.get(f"{API}/evidence/{first}/content", headers=bearer(token))
    assert gone.status_code == 410
    assert client.get(f"{API}/evidence/{second}/content", headers=bearer(token)).content == PNG
    assert (
        client.post(f"{API}/evidence/{second}/destroy", json=body, headers=bearer(token)).status_code == 201
    )
    assert blob_files(node) == []


def test_corrupted_bytes_are_never_served_silently(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    token = make_user(Role.OFFICER)
    item = upload(client, token, PNG, node.clock.now()).json()
    path = (
        node.settings.home / "evidence" / "sha256" / item["sha256"][:2] / item["sha256"][2:4] / item["sha256"]
    )
    path.write_bytes(PNG[:-1] + b"!")
    try:
        response = client.get(f"{API}/evidence/{item['id']}/content", headers=bearer(token))
        received = response.content
    except Exception:  # the server aborts the stream once the hash check fails
        received = b""
    assert received != PNG[:-1] + b"!"
    oversight = make_user(Role.AUDITOR)
    alerts = client.get(f"{API}/alerts", headers=bearer(oversight)).json()
    assert any(a["kind"] == "evidence_corrupted" and a["subject_id"] == item["id"] for a in alerts["items"])


def test_evidence_belongs_to_an_existing_open_case(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    officer = make_user(Role.OFFICER)
    missing = upload(client, officer, PNG, node.clock.now(), case_id="case_nowhere", join=False)
    assert missing.status_code == 404  # no orphan record for a case that does not exist
    assert blob_files(node) == []  # refused before any byte was stored
    assert upload(client, officer, PNG, node.clock.now()).status_code == 201
    close_case(node)
    closed = upload(client, officer, PNG, node.clock.now())
    assert closed.status_code == 409
    assert "open cases" in closed.json()["detail"]
    with node.transaction() as session:
        assert count(session, EvidenceItem) == 1


def test_legal_holds_name_a_case_or_item_the_caller_may_know(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    officer = make_user(Role.OFFICER)
    judge = make_user(Role.JUDGE)
    admin = make_user(Role.ADMINISTRATOR)
    evidence_id = upload(client, officer, PNG, node.clock.now()).json()["id"]
    body = {"case_id": "case_nowhere", "reason": "appeal"}
    for who in (judge, admin):  # a case that does not exist: nothing is placed
        assert client.post(f"{API}/legal-holds", json=body, headers=bearer(who)).status_code == 404
    on_item = {"evidence_id": evidence_id, "reason": "appeal"}
    # The judge is not on the case and nothing of it was submitted to judges: it does not exist for them.
    assert client.post(f"{API}/legal-holds", json=on_item, headers=bearer(judge)).status_code == 404
    assert client.post(f"{API}/legal-holds", json=on_item, headers=bearer(admin)).status_code == 201
    assert client.get(f"{API}/legal-holds", headers=bearer(judge)).json() == []
    join_case(node, judge)
    assert [h["evidence_id"] for h in client.get(f"{API}/legal-holds", headers=bearer(judge)).json()] == [
        evidence_id
    ]
    with node.transaction() as session:
        assert count(session, LegalHold) == 1
