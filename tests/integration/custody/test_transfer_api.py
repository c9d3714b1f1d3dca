"""The transfer and retraction routes on one node: refusals before anything is recorded or queued."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from comity.audit.model import AuditEvent
from comity.custody.model import CustodyEvent
from comity.kinds import OrganisationKind, Role
from comity.outbox.model import OutboxMessage
from comity.web.container import Container
from integration.custody.custody_support import API, UserFactory, join_case, upload
from support import bearer

DATA = b"listing 42 capture"


def _collected(node: Container, client: TestClient, token: str) -> str:
    response = upload(client, token, DATA, node.clock.now(), media_type="text/html")
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _transfer(client: TestClient, token: str, evidence_id: str, **body: object) -> dict[str, object]:
    response = client.post(
        f"{API}/evidence/{evidence_id}/transfer",
        json={"to": "DE", "agreement_id": "eev-eu5", **body},
        headers=bearer(token),
    )
    return {"status": response.status_code, **response.json()}


def test_only_a_sealed_item_is_transferred_and_refusals_leave_no_trace(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    token = make_user(Role.OFFICER)
    evidence_id = _collected(node, client, token)
    refused = _transfer(client, token, evidence_id)
    assert refused["status"] == 409
    assert refused["current_state"] == "open"
    assert refused["allowed_next"] == ["sealed"]
    assert _transfer(client, token, evidence_id, to="IE")["status"] == 422  # not to itself
    assert _transfer(client, token, evidence_id, unknown="x")["status"] == 422
    sealed = client.post(
        f"{API}/evidence/{evidence_id}/events", json={"action": "sealed"}, headers=bearer(token)
    )
    assert sealed.status_code == 201
    assert _transfer(client, token, evidence_id)["code"] == "unknown_peer"  # DE is no peer of this node
    with node.transaction() as session:
        assert [e.action for e in session.scalars(select(CustodyEvent))] == ["collected", "sealed"]
        assert session.scalars(select(OutboxMessage)).all() == []


def test_custodians_of_this_node_only(node: Container, client: TestClient, make_user: UserFactory) -> None:
    token = make_user(Role.OFFICER)
    evidence_id = _collected(node, client, token)
    platform = make_user(Role.PLATFORM, kind=OrganisationKind.PLATFORM)
    foreign = make_user(Role.OFFICER, jurisdiction="FR")
    outsider = make_user(Role.OFFICER)
    assert _transfer(client, platform, evidence_id)["status"] == 403  # never a custodian
    assert _transfer(client, outsider, evidence_id)["status"] == 404  # not on the case
    assert _transfer(client, foreign, evidence_id)["status"] == 404
    join_case(node, foreign)  # on the case, but custody on this node is IE's officers'
    assert _transfer(client, foreign, evidence_id)["status"] == 403
    retract = client.post(
        f"{API}/evidence/{evidence_id}/retract", json={"reason": "shared in error"}, headers=bearer(foreign)
    )
    assert retract.status_code == 403


def test_retracting_an_item_never_shared_is_recorded_once(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    token = make_user(Role.OFFICER)
    evidence_id = _collected(node, client, token)
    url = f"{API}/evidence/{evidence_id}/retract"
    response = client.post(url, json={"reason": "shared in error"}, headers=bearer(token))
    assert response.status_code == 201, response.text
    assert response.json()["notified"] == {}
    assert client.post(url, json={"reason": "again"}, headers=bearer(token)).status_code == 409
    read = client.get(f"{API}/evidence/{evidence_id}", headers=bearer(token)).json()
    assert read["item"]["retracted_at"] is not None
    assert read["item"]["origin_node"] is None
    # The originator still reads its own evidence; the retraction is an audit event with the reason's hash.
    assert client.get(f"{API}/evidence/{evidence_id}/content", headers=bearer(token)).content == DATA
    with node.transaction() as session:
        (trail,) = session.scalars(select(AuditEvent).where(AuditEvent.tag == "custody:evidence:retracted"))
        assert trail.subject_id == evidence_id
        assert "shared in error" not in str(trail.details)
