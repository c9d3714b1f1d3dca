"""A cross-border request between two real nodes: IE issues and transmits over federation, DE mirrors it
under the same ids, its officer accepts, the step travels back and both nodes agree on the status; delivery
and retrieval evidence show on IE's case timeline; duplicates create nothing; a step the machine forbids,
arriving from the peer, is retried then given up with an alert; a peer acts on nothing else."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from comity.assistance_requests import federated, service, steps
from comity.assistance_requests.mirror import WITHHELD_PREFIX, receive_request
from comity.assistance_requests.model import AssistanceRequest, RequestStep
from comity.audit.model import AuditEvent
from comity.cases import views as case_views
from comity.cases.model import Case, CaseOffence, CaseTarget
from comity.cli.audit import app as audit_app
from comity.errors import Forbidden, NotFound
from comity.federation.dispatch import (
    MAX_HANDLING_ATTEMPTS,
    HandlerContext,
    dispatch_pending,
    peer_principal,
)
from comity.federation.model import ReceivedMessage
from comity.federation.outbound import send
from comity.identity import service as identity
from comity.identity.model import Organisation
from comity.identity.principal import SYSTEM_ACTOR
from comity.invariants.registry import check_all
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.outbox.model import OutboxMessage
from comity.transport.egress import Outbound
from comity.transport.tlp import Tlp
from integration.federation.nodes import AGREEMENT, Node
from integration.federation.test_exchange import INBOX, alerts, deliver, received
from support import bearer

API = "/api/v1"
PLATFORM = "Marktplatz GmbH"
ISSUER = "An Garda Siochana (test)"


def _user(
    node: Node,
    username: str,
    role: Role,
    *,
    org: str,
    jurisdiction: str,
    kind: OrganisationKind = OrganisationKind.AUTHORITY,
    authority_type: AuthorityType | None = None,
) -> str:
    with node.container.transaction() as session:
        found = session.scalar(
            select(Organisation).where(Organisation.name == org, Organisation.jurisdiction == jurisdiction)
        )
        if found is None:
            found = identity.create_organisation(
                session,
                clock=node.container.clock,
                actor=SYSTEM_ACTOR,
                name=org,
                kind=kind,
                jurisdiction=jurisdiction,
                authority_type=authority_type,
            )
        issued = identity.add_user(
            session,
            clock=node.container.clock,
            actor=SYSTEM_ACTOR,
            username=username,
            role=role,
            organisation_id=found.id,
        )
        return issued.token


@dataclass
class Flow:
    ie: Node
    de: Node
    http: dict[str, TestClient]
    tokens: dict[str, str]
    case_id: str
    request_id: str

    def h(self, name: str) -> dict[str, str]:
        return bearer(self.tokens[name])


def _open_case(client: TestClient, headers: dict[str, str]) -> tuple[str, str, str]:
    r = client.post(
        f"{API}/cases", json={"title": "Fake watches", "jurisdictional_links": ["targeting"]}, headers=headers
    )
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    r = client.post(
        f"{API}/cases/{case_id}/offences",
        json={"taxonomy_code": "counterfeit_goods", "statute": "IE-TMA-1996-s92"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    offence_id = r.json()["offences"][0]["id"]
    r = client.post(
        f"{API}/cases/{case_id}/targets",
        json={"kind": "seller_account", "identifier": "seller-4711", "data_category": "content"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return case_id, offence_id, r.json()["targets"][0]["id"]


def _draft(flow_http: TestClient, headers: dict[str, str], ids: tuple[str, str, str], **over: object) -> str:
    case_id, offence_id, target_id = ids
    body: dict[str, object] = {
        "offence_id": offence_id,
        "target_ids": [target_id],
        "agreement_id": AGREEMENT,
        "to_state": "DE",
        "measure": "production",
        "data_category": "content",
        "time_from": "2026-06-01T00:00:00Z",
        "time_to": "2026-08-31T00:00:00Z",
    }
    body.update(over)
    r = flow_http.post(f"{API}/cases/{case_id}/requests", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture
def flow(nodes: dict[str, Node], http: dict[str, TestClient]) -> Flow:
    """IE officer and judge, DE officer, the same DE platform registered on both nodes; a case on IE and a
    content-data production request to DE, validated and transmitted over federation (not yet delivered)."""
    ie, de = nodes["IE"], nodes["DE"]
    tokens = {
        "officer": _user(ie, "ie-officer", Role.OFFICER, org=ISSUER, jurisdiction="IE",
                         authority_type=AuthorityType.POLICE),
        "judge": _user(ie, "ie-judge", Role.JUDGE, org="IE District Court (test)", jurisdiction="IE",
                       authority_type=AuthorityType.JUDGE),
        "de_officer": _user(de, "de-officer", Role.OFFICER, org="DE BKA (test)", jurisdiction="DE",
                            authority_type=AuthorityType.POLICE),
        "de_platform": _user(de, "de-platform", Role.PLATFORM, org=PLATFORM, jurisdiction="DE",
                             kind=OrganisationKind.PLATFORM),
        "ie_view_platform": _user(ie, "ie-view-platform", Role.PLATFORM, org=PLATFORM, jurisdiction="DE",
                                  kind=OrganisationKind.PLATFORM),
    }  # fmt: skip
    with ie.container.transaction() as session:
        platform_on_ie = session.scalar(select(Organisation.id).where(Organisation.name == PLATFORM))
    client = http["IE"]
    officer = bearer(tokens["officer"])
    ids = _open_case(client, officer)
    rid = _draft(client, officer, ids, addressee_organisation_id=platform_on_ie)
    for path, who, status in (
        ("submit", "officer", "awaiting_validation"),
        ("validate", "judge", "issued"),
        ("transmit", "officer", "executing_state_reviewing"),
    ):
        r = client.post(f"{API}/requests/{rid}/{path}", json={}, headers=bearer(tokens[who]))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    return Flow(ie=ie, de=de, http=http, tokens=tokens, case_id=ids[0], request_id=rid)


def _request(node: Node, rid: str) -> AssistanceRequest:
    with node.container.transaction() as session:
        row = session.get(AssistanceRequest, rid)
        assert row is not None
        session.expunge(row)
        return row


def _count(node: Node, model: type[object], *where: object) -> int:
    with node.container.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def _exchange(flow: Flow) -> None:
    """Carry everything queued both ways and let each node handle what it received, until quiet."""
    for _ in range(4):
        deliver(flow.ie, flow.http["DE"])
        dispatch_pending(flow.de.container)
        deliver(flow.de, flow.http["IE"])
        dispatch_pending(flow.ie.container)


def test_a_request_travels_is_mirrored_accepted_and_both_nodes_agree(flow: Flow) -> None:
    ie, de, rid = flow.ie, flow.de, flow.request_id
    sent = _request(ie, rid)
    assert sent.federated_with == "DE"
    assert not sent.mirror
    with ie.container.transaction() as session:
        transmit = next(s for s in service.steps_of(session, rid) if s.action == "transmit")
        row = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"federation:{transmit.details['message_id']}"
            )
        )
        assert row is not None
        assert row.channel == "federation"
        assert row.destination == "DE"
        assert transmit.details["federated_with"] == "DE"
        assert transmit.details["digest"]
        # Nothing went on the single-node channel.
        assert session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "jurisdiction")) is None

    assert deliver(ie, flow.http["DE"]).delivered == 1
    assert dispatch_pending(de.container) == 1

    # DE holds a mirror under the same ids, its issuing authority as an IE organisation.
    mirror = _request(de, rid)
    assert mirror.mirror
    assert mirror.federated_with == "IE"
    assert (mirror.status, mirror.case_id, mirror.offence_id, mirror.target_ids) == (
        sent.status,
        sent.case_id,
        sent.offence_id,
        sent.target_ids,
    )
    assert (mirror.due_at, mirror.review_ends_at, mirror.transmitted_at) == (
        sent.due_at,
        sent.review_ends_at,
        sent.transmitted_at,
    )
    with de.container.transaction() as session:
        case = session.get(Case, sent.case_id)
        assert case is not None
        assert case.origin_node == "IE"
        assert case.lead_jurisdiction == "IE"
        lead = session.get(Organisation, case.lead_organisation_id)
        assert lead is not None
        assert (lead.name, lead.jurisdiction, lead.kind) == (ISSUER, "IE", "authority")
        assert lead.authority_type == "police"
        target = session.get(CaseTarget, sent.target_ids[0])
        assert target is not None
        assert target.identifier.startswith(WITHHELD_PREFIX)
        assert "seller-4711" not in target.identifier  # the agreement shares no seller account field
        addressee = session.get(Organisation, mirror.addressee_organisation_id)
        assert addressee is not None
        assert addressee.name == PLATFORM
        assert addressee.jurisdiction == "DE"
        first = service.steps_of(session, rid)[0]
        assert (first.action, first.actor, first.from_status, first.to_status) == (
            "receive",
            "node:IE",
            None,
            "executing_state_reviewing",
        )
        assert first.decision["allowed"] is True
        assert first.details["message_id"] == transmit.details["message_id"]
        assert session.scalar(select(AuditEvent.tag).where(AuditEvent.id == first.audit_event_id)) == (
            "requests:request:receive"
        )
        # The mirror node's case timeline shows the received message (ids and times only).
        received_entries = [
            e for e in case_views.timeline(session, sent.case_id) if e.tag == "federation:message:received"
        ]
        assert [e.subject_id for e in received_entries] == [transmit.details["message_id"]]
        assert "seller-4711" not in str(case_views.timeline(session, sent.case_id))

    # The DE officer sees the mirror and accepts it; the platform cannot yet deliver (day-10 rule).
    de_http = flow.http["DE"]
    # The executing officer reads the mirror case's timeline (nobody is a member: reading only).
    mirror_timeline = de_http.get(f"{API}/cases/{sent.case_id}/timeline", headers=flow.h("de_officer"))
    assert mirror_timeline.status_code == 200, mirror_timeline.text
    assert transmit.details["message_id"] in mirror_timeline.text
    assert "seller-4711" not in mirror_timeline.text
    edit = de_http.post(
        f"{API}/cases/{sent.case_id}/offences",
        json={"taxonomy_code": "counterfeit_goods", "jurisdiction": "DE", "statute": "x"},
        headers=flow.h("de_officer"),
    )
    assert edit.status_code == 403, edit.text
    listed = de_http.get(f"{API}/requests", headers=flow.h("de_officer")).json()["items"]
    assert [r["id"] for r in listed] == [rid]
    shown = de_http.get(f"{API}/requests/{rid}", headers=flow.h("de_officer")).json()
    assert shown["status"] == "executing_state_reviewing"
    assert "accept" in shown["allowed_next"]
    r = de_http.post(f"{API}/requests/{rid}/accept", headers=flow.h("de_officer"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    with de.container.transaction() as session:
        step_out = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == federated.STEP_KIND, OutboxMessage.destination == "IE"
            )
        ).all()
        assert len(step_out) == 1

    # The step (and DE's retrieval evidence of the request) reach IE, which takes the same step.
    assert deliver(de, flow.http["IE"]).delivered == 2
    assert dispatch_pending(ie.container) == 2
    issuing = _request(ie, rid)
    assert issuing.status == "accepted" == _request(de, rid).status
    with ie.container.transaction() as session:
        accepted = service.steps_of(session, rid)[-1]
        assert (accepted.action, accepted.actor, accepted.to_status) == ("accept", "node:DE", "accepted")
        assert accepted.decision["allowed"] is True
        # ... and never sends it back.
        assert (
            session.scalars(select(OutboxMessage).where(OutboxMessage.kind == federated.STEP_KIND)).all()
            == []
        )
        # The transmission's delivery and retrieval evidence show on IE's case timeline.
        entries = [
            e
            for e in case_views.timeline(session, sent.case_id)
            if e.subject_id == transmit.details["message_id"]
        ]
        assert [e.tag for e in entries] == [
            "federation:message:accepted",
            "federation:message:delivered",
            "federation:message:retrieved",
        ]
        assert all(e.actor == "node:DE" for e in entries)
    timeline = flow.http["IE"].get(f"{API}/cases/{sent.case_id}/timeline", headers=flow.h("officer")).json()
    tags = [e["tag"] for e in timeline]
    assert "federation:message:retrieved" in tags
    assert "requests:request:accept" in tags
    assert "seller-4711" not in str(timeline)

    # The platform (on DE) delivers; the issuing officer (on IE) closes; both nodes end closed.
    r = de_http.post(
        f"{API}/requests/{rid}/delivered", json={"note": "sent by SFTP"}, headers=flow.h("de_platform")
    )
    assert r.status_code == 200, r.text
    _exchange(flow)
    assert _request(ie, rid).status == "delivered"
    r = flow.http["IE"].post(f"{API}/requests/{rid}/close", headers=flow.h("officer"))
    assert r.status_code == 200, r.text
    _exchange(flow)
    assert _request(ie, rid).status == "closed" == _request(de, rid).status
    with ie.container.transaction() as session, de.container.transaction() as other:
        here = [(s.action, s.to_status) for s in service.steps_of(session, rid)]
        there = [(s.action, s.to_status) for s in service.steps_of(other, rid)]
        assert there == [("receive", "executing_state_reviewing"), *here[4:]]
        deliver_here = next(s for s in service.steps_of(session, rid) if s.action == "deliver")
        deliver_there = next(s for s in service.steps_of(other, rid) if s.action == "deliver")
        assert deliver_here.details["note_sha256"] == deliver_there.details["note_sha256"] is not None
        # Both nodes pass the invariant audit, the mirror included.
        assert check_all(session, now=ie.container.clock.now()) == []
        assert check_all(other, now=de.container.clock.now()) == []
    # ... and so says ``comity audit invariants`` on the node holding the mirror.
    result = CliRunner().invoke(audit_app, ["invariants", "--json"], env=de.env())
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["violations"] == []


def test_the_same_bytes_delivered_twice_make_one_mirror(flow: Flow) -> None:
    ie, de, rid = flow.ie, flow.de, flow.request_id
    assert deliver(ie, flow.http["DE"]).delivered == 1
    with ie.container.transaction() as session:
        payload = session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "assistance_request")
        ).one()
    again = flow.http["DE"].post(
        INBOX, content=payload, headers={"Content-Type": "application/vnd.comity.message+json"}
    )
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert dispatch_pending(de.container) == 1
    assert dispatch_pending(de.container) == 0
    # The handler itself is idempotent too (a re-queued message): still one mirror, one first step.
    (message,) = received(de)
    context = HandlerContext(
        container=de.container, clock=de.container.clock, keystore=de.keystore, node="DE"
    )
    with de.container.transaction() as session:
        row = session.get(ReceivedMessage, message.message_id)
        assert row is not None
        receive_request(session, context, row)
    assert _count(de, AssistanceRequest) == 1
    assert _count(de, Case) == 1
    assert _count(de, CaseOffence) == 1
    assert _count(de, RequestStep, RequestStep.request_id == rid) == 1
    assert _count(de, Organisation, Organisation.jurisdiction == "IE") == 1


def test_a_step_the_machine_forbids_from_the_peer_is_retried_then_given_up(flow: Flow) -> None:
    ie, de, rid = flow.ie, flow.de, flow.request_id
    _exchange(flow)
    assert _request(de, rid).status == "executing_state_reviewing"
    # DE's node says its addressee delivered, though the day-10 rule forbids it while DE reviews.
    with de.container.transaction() as session:
        send(
            session,
            clock=de.container.clock,
            actor=SYSTEM_ACTOR,
            keystore=de.keystore,
            node="DE",
            item=Outbound(
                kind=federated.STEP_KIND,
                recipient="IE",
                tlp=Tlp.AMBER_STRICT,
                facts={"request_id": rid, "action": "deliver", "to_status": "delivered", "seq": 2},
            ),
            agreement_id=AGREEMENT,
            subject_type="assistance_request",
            subject_id=rid,
        )
    assert deliver(de, flow.http["IE"]).delivered == 1
    for _ in range(MAX_HANDLING_ATTEMPTS):
        assert dispatch_pending(ie.container) == 0
    assert dispatch_pending(ie.container) == 0  # given up: no longer pending
    assert _request(ie, rid).status == "executing_state_reviewing"
    step_message = next(m for m in received(ie) if m.kind == federated.STEP_KIND)
    assert step_message.handling_failed_at is not None
    assert step_message.handling_attempts == MAX_HANDLING_ATTEMPTS
    assert "IllegalTransition" in (step_message.handling_error or "")
    (alert,) = alerts(ie, "federation_message_unhandled")
    assert alert.subject_id == step_message.message_id


def test_a_step_for_a_request_not_shared_with_the_sender_is_refused(flow: Flow) -> None:
    ie, de = flow.ie, flow.de
    officer = flow.h("officer")
    ids = _open_case(flow.http["IE"], officer)
    local = _draft(flow.http["IE"], officer, ids, to_state="FR")  # FR is no peer of IE: one node's request
    with de.container.transaction() as session:
        send(
            session,
            clock=de.container.clock,
            actor=SYSTEM_ACTOR,
            keystore=de.keystore,
            node="DE",
            item=Outbound(
                kind=federated.STEP_KIND,
                recipient="IE",
                tlp=Tlp.AMBER_STRICT,
                facts={"request_id": local, "action": "withdraw", "to_status": "withdrawn", "seq": 2},
            ),
            agreement_id=AGREEMENT,
            subject_type="assistance_request",
            subject_id=local,
        )
    deliver(de, flow.http["IE"])
    dispatch_pending(ie.container)
    assert _request(ie, local).status == "draft"
    (message,) = [m for m in received(ie) if m.kind == federated.STEP_KIND]
    assert "not shared with DE" in (message.handling_error or "")


def test_a_peer_principal_acts_on_nothing_but_its_side_of_a_shared_request(flow: Flow) -> None:
    ie, rid = flow.ie, flow.request_id
    officer = flow.h("officer")
    client = flow.http["IE"]
    ids = _open_case(client, officer)
    local = _draft(client, officer, ids, to_state="FR")
    for path, who in (("submit", "officer"), ("validate", "judge"), ("transmit", "officer")):
        r = client.post(f"{API}/requests/{local}/{path}", json={}, headers=flow.h(who))
        assert r.status_code == 200, r.text
    assert _request(ie, local).federated_with is None  # FR is no peer: the single-node path
    clock = ie.container.clock
    for node in ("FR", "DE", "NL"):
        with ie.container.transaction() as session, pytest.raises(NotFound):
            steps.accept(session, clock=clock, principal=peer_principal(node), request_id=local)
    # On the shared request, DE's node takes executing steps only; an unknown node is not even told it exists.
    with ie.container.transaction() as session, pytest.raises(Forbidden):
        steps.withdraw(session, clock=clock, principal=peer_principal("DE"), request_id=rid)
    with ie.container.transaction() as session, pytest.raises(NotFound):
        steps.accept(session, clock=clock, principal=peer_principal("FR"), request_id=rid)
    # ... and IE's own users no longer take DE's side of it.
    de_side_here = _user(ie, "de-officer-on-ie", Role.OFFICER, org="DE liaison (test)", jurisdiction="DE",
                         authority_type=AuthorityType.POLICE)  # fmt: skip
    r = client.post(f"{API}/requests/{rid}/accept", headers=bearer(de_side_here))
    assert r.status_code == 403, r.text
    assert _request(ie, rid).status == "executing_state_reviewing"


def test_a_step_that_cannot_reach_the_peer_is_not_taken_alone(flow: Flow) -> None:
    from comity.federation import directory

    de, rid = flow.de, flow.request_id
    _exchange(flow)
    with de.container.transaction() as session:
        directory.remove_peer(session, clock=de.container.clock, actor=SYSTEM_ACTOR, jurisdiction="IE")
    r = flow.http["DE"].post(f"{API}/requests/{rid}/accept", headers=flow.h("de_officer"))
    assert r.status_code == 409, r.text
    assert "would not be mirrored" in r.json()["detail"]
    assert _request(de, rid).status == "executing_state_reviewing"
    assert _count(de, RequestStep, RequestStep.request_id == rid) == 1


def test_grounds_raised_on_the_executing_node_reach_the_issuing_node_whole(flow: Flow) -> None:
    ie, de, rid = flow.ie, flow.de, flow.request_id
    _exchange(flow)
    body = {"grounds": ["fundamental_rights"], "partial": True, "note": "journalist's sources"}
    r = flow.http["DE"].post(f"{API}/requests/{rid}/grounds", json=body, headers=flow.h("de_officer"))
    assert r.status_code == 200, r.text
    _exchange(flow)
    issuing, mirror = _request(ie, rid), _request(de, rid)
    assert issuing.status == "grounds_raised" == mirror.status
    assert (issuing.grounds, issuing.grounds_partial) == (["fundamental_rights"], True)
    assert (mirror.grounds, mirror.grounds_partial) == (["fundamental_rights"], True)
    with ie.container.transaction() as session, de.container.transaction() as other:
        here = service.steps_of(session, rid)[-1]
        there = service.steps_of(other, rid)[-1]
        assert here.actor == "node:DE"
        assert here.details["note_sha256"] == there.details["note_sha256"] is not None
        assert here.details["message_id"]  # the step names the message it came in
    # Partial grounds: DE's platform may still deliver the rest, and IE follows.
    r = flow.http["DE"].post(f"{API}/requests/{rid}/delivered", json={}, headers=flow.h("de_platform"))
    assert r.status_code == 200, r.text
    _exchange(flow)
    assert _request(ie, rid).status == "delivered"
