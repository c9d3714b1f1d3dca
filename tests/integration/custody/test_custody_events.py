"""Custody events through the API and the service: state machine, hash chain, signatures, audit events."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comity.audit.model import AuditEvent
from comity.custody import service
from comity.custody.actors import node_actor
from comity.custody.events import lock_item, record_event
from comity.custody.model import CustodyEvent, EvidenceItem
from comity.custody.payload import CustodyPayload
from comity.custody.states import CustodyAction
from comity.errors import IllegalTransition
from comity.keys import queries
from comity.keys.keystore import Keystore
from comity.kinds import Role
from comity.signing.envelope import Envelope, PayloadType, verify
from comity.signing.keys import KeyPurpose
from comity.web.container import Container
from integration.custody.custody_support import API, UserFactory, close_case, join_case, upload
from support import bearer


def _act(client: TestClient, token: str, evidence_id: str, action: str, **body: object) -> object:
    return client.post(
        f"{API}/evidence/{evidence_id}/events", json={"action": action, **body}, headers=bearer(token)
    )


def test_a_full_chain_of_custody_is_signed_chained_and_audited(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    officer = make_user(Role.OFFICER)
    judge = make_user(Role.JUDGE)
    evidence_id = upload(client, officer, b"capture", node.clock.now()).json()["id"]
    join_case(node, judge)  # the court the item goes to reads the case
    steps = [
        (officer, "analysed", {"note": "hash compared with the platform's copy"}),
        (officer, "sealed", {}),
        (officer, "transferred", {"counterparty": "FR"}),
        (judge, "received", {"counterparty": "FR"}),
        (judge, "accessed", {}),
        (judge, "disclosed", {"counterparty": "org_defence"}),
        (judge, "returned", {}),
    ]
    for token, action, body in steps:
        response = _act(client, token, evidence_id, action, **body)
        assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    with node.transaction() as session:
        events = session.scalars(
            select(CustodyEvent).where(CustodyEvent.evidence_id == evidence_id).order_by(CustodyEvent.seq)
        ).all()
        ring = queries.key_ring(session)
        audit_rows = {
            a.id: a for a in session.scalars(select(AuditEvent).where(AuditEvent.subject_id == evidence_id))
        }
        item = session.get(EvidenceItem, evidence_id)
    assert item is not None
    assert item.state == "returned"
    assert item.event_count == 8
    previous = None
    signers = set()
    for seq, event in enumerate(events, 1):
        verified = verify(
            Envelope.from_json(event.envelope),
            keys=ring,
            expected_type=PayloadType.CUSTODY_EVENT,
            purposes={KeyPurpose.OFFICER_SIGNING},
            at=event.occurred_at,
        )
        payload = CustodyPayload.from_payload(verified.payload)
        assert (payload.seq, payload.previous, payload.action.value) == (seq, previous, event.action)
        assert verified.key.holder.officer == payload.actor  # signed by the officer who acted
        signers.add(verified.key.keyid)
        digest = hashlib.sha256(event.envelope.encode()).hexdigest()
        trail = audit_rows[event.audit_event_id]
        assert trail.tag == f"custody:evidence:{event.action}"
        assert trail.details["envelope_sha256"] == digest == event.envelope_sha256
        assert trail.details["custody_event"] == event.id
        previous = digest
    assert len(signers) == 2  # the officer's key and the judge's key


def test_illegal_transitions_are_refused_with_the_allowed_next_actions(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    officer = make_user(Role.OFFICER)
    evidence_id = upload(client, officer, b"capture", node.clock.now()).json()["id"]
    refused = _act(client, officer, evidence_id, "transferred", counterparty="FR")
    assert refused.status_code == 409  # type: ignore[attr-defined]
    body = refused.json()  # type: ignore[attr-defined]
    assert body["type"].endswith("/illegal-transition")
    assert body["current_state"] == "open"
    assert "sealed" in body["allowed_next"]
    assert _act(client, officer, evidence_id, "sealed").status_code == 201  # type: ignore[attr-defined]
    assert _act(client, officer, evidence_id, "sealed").status_code == 409  # type: ignore[attr-defined]
    missing = _act(client, officer, evidence_id, "transferred")
    assert missing.status_code == 422  # type: ignore[attr-defined]
    assert _act(client, officer, evidence_id, "collected").status_code == 422  # type: ignore[attr-defined]
    assert _act(client, officer, evidence_id, "destroyed").status_code == 422  # type: ignore[attr-defined]
    with node.transaction() as session:
        assert session.get(EvidenceItem, evidence_id).event_count == 2  # type: ignore[union-attr]


def test_nothing_follows_destruction(node: Container, client: TestClient, make_user: UserFactory) -> None:
    officer = make_user(Role.OFFICER)
    evidence_id = upload(client, officer, b"capture", node.clock.now()).json()["id"]
    body = {"reason": "ordered by the court"}
    assert (
        client.post(f"{API}/evidence/{evidence_id}/destroy", json=body, headers=bearer(officer)).status_code
        == 201
    )
    assert _act(client, officer, evidence_id, "accessed").status_code == 409  # type: ignore[attr-defined]
    again = client.post(f"{API}/evidence/{evidence_id}/destroy", json=body, headers=bearer(officer))
    assert again.status_code == 409


def test_an_event_and_its_audit_event_commit_or_roll_back_together(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    officer = make_user(Role.OFFICER)
    evidence_id = upload(client, officer, b"capture", node.clock.now()).json()["id"]
    keystore = Keystore.for_settings(node.settings)

    def seal_then_fail() -> None:
        with node.transaction() as session:
            item = lock_item(session, evidence_id)
            actor = node_actor(session, clock=node.clock, keystore=keystore, jurisdiction="IE")
            record_event(session, clock=node.clock, actor=actor, item=item, action=CustodyAction.SEALED)
            raise RuntimeError("the use case failed after recording")

    with pytest.raises(RuntimeError):
        seal_then_fail()
    with node.transaction() as session:
        assert len(session.scalars(select(CustodyEvent)).all()) == 1
        tags = session.scalars(select(AuditEvent.tag).where(AuditEvent.subject_id == evidence_id)).all()
        assert tags == ["custody:evidence:collected"]
        assert session.get(EvidenceItem, evidence_id).state == "open"  # type: ignore[union-attr]


def test_the_node_signs_its_own_acts_with_its_node_key(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    officer = make_user(Role.OFFICER)
    evidence_id = upload(client, officer, b"capture", node.clock.now()).json()["id"]
    keystore = Keystore.for_settings(node.settings)
    close_case(node)  # the node destroys at the end of retention, which an open case would hold off
    with node.transaction() as session:
        item = lock_item(session, evidence_id)
        actor = node_actor(session, clock=node.clock, keystore=keystore, jurisdiction="IE")
        event = service.destroy(session, clock=node.clock, actor=actor, item=item, note=None)
        ring = queries.key_ring(session)
    verified = verify(
        Envelope.from_json(event.envelope),
        keys=ring,
        expected_type=PayloadType.CUSTODY_EVENT,
        purposes={KeyPurpose.NODE_SIGNING},
        at=event.occurred_at,
    )
    assert CustodyPayload.from_payload(verified.payload).actor == "node:IE"
    with pytest.raises(IllegalTransition), node.transaction() as session:
        record_event(
            session,
            clock=node.clock,
            actor=actor,
            item=lock_item(session, evidence_id),
            action=CustodyAction.SEALED,
        )


def test_holds_protect_evidence_from_destruction_until_released(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    officer = make_user(Role.OFFICER)
    judge = make_user(Role.JUDGE)
    admin = make_user(Role.ADMINISTRATOR)
    evidence_id = upload(client, officer, b"capture", node.clock.now()).json()["id"]
    join_case(node, judge)
    denied = client.post(
        f"{API}/legal-holds", json={"case_id": "case_1", "reason": "appeal"}, headers=bearer(officer)
    )
    assert denied.status_code == 403
    both = client.post(
        f"{API}/legal-holds",
        json={"case_id": "case_1", "evidence_id": evidence_id, "reason": "x"},
        headers=bearer(judge),
    )
    assert both.status_code == 422
    hold = client.post(
        f"{API}/legal-holds", json={"case_id": "case_1", "reason": "appeal pending"}, headers=bearer(judge)
    )
    assert hold.status_code == 201
    item = client.get(f"{API}/evidence/{evidence_id}", headers=bearer(officer)).json()["item"]
    assert item["held"] is True
    destroy = {"reason": "no longer needed"}
    refused = client.post(f"{API}/evidence/{evidence_id}/destroy", json=destroy, headers=bearer(officer))
    assert refused.status_code == 409
    assert "legal hold" in refused.json()["detail"]
    listed = client.get(f"{API}/legal-holds", params={"case_id": "case_1"}, headers=bearer(officer)).json()
    assert [h["id"] for h in listed] == [hold.json()["id"]]
    released = client.post(
        f"{API}/legal-holds/{hold.json()['id']}/release",
        json={"reason": "appeal decided"},
        headers=bearer(admin),
    )
    assert released.status_code == 200
    assert released.json()["released_by"]
    assert (
        client.post(
            f"{API}/evidence/{evidence_id}/destroy", json=destroy, headers=bearer(officer)
        ).status_code
        == 201
    )
