"""Evidence between two (three) nodes, each its own database: transfer, receipt, acknowledgement, TLP on
onward sharing, refusals of what does not hold together, and retraction that propagates."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comity.assistance_requests.model import AssistanceRequest
from comity.audit.model import AuditEvent
from comity.custody import service, sharing, transfer_receive
from comity.custody.bundle import case_uco_export, export_bundle
from comity.custody.bundle_verify import verify_bundle
from comity.custody.events import events_of
from comity.custody.model import EvidenceItem
from comity.custody.service import EvidenceKind, NewEvidence
from comity.custody.states import CustodyAction
from comity.custody.store import folder_store_for
from comity.custody.transfer import key_statements
from comity.errors import Conflict
from comity.federation import directory
from comity.federation.directory import PeerKeys
from comity.federation.dispatch import MAX_HANDLING_ATTEMPTS, dispatch_pending
from comity.federation.inbox import decryption_keys
from comity.federation.model import ReceivedMessage
from comity.federation.outbound import send
from comity.identity import service as identity
from comity.identity.principal import SYSTEM_ACTOR, Principal
from comity.kinds import AuthorityType, DataCategory, OrganisationKind, Role
from comity.outbox.model import OutboxMessage
from comity.transport.egress import Attachment, Outbound
from comity.transport.message import open_message
from comity.transport.tlp import Tlp
from integration.federation.conftest import ADDRESSES
from integration.federation.nodes import AGREEMENT, Node, introduce, join, share_case
from integration.federation.test_exchange import alerts, deliver
from support import bearer

API = "/api/v1"
CASE = "case_fed_1"
TRANSFER = sharing.TRANSFER_KIND
DATA = b"<html>listing 42: counterfeit trainers, 40 EUR</html>"


@pytest.fixture(autouse=True)
def _case_shared_by_every_node(nodes: dict[str, Node]) -> None:
    """Evidence from a peer attaches to a case shared with it through a request: every node holds
    ``CASE``, linked to each other node."""
    for code, node in nodes.items():
        with node.container.transaction() as session:
            org = identity.create_organisation(
                session,
                clock=node.container.clock,
                actor=SYSTEM_ACTOR,
                name=f"{code} lead authority",
                kind=OrganisationKind.AUTHORITY,
                jurisdiction=code,
                authority_type=AuthorityType.POLICE,
            )
        share_case(node, CASE, peers=tuple(c for c in nodes if c != code), lead_organisation=org.id)


def officer(node: Node, name: str = "officer") -> tuple[Principal, str]:
    """A police officer of ``node``'s jurisdiction, on the case ``CASE`` that ``node`` shares with the
    other nodes through federated requests: the principal and a bearer token."""
    clock = node.container.clock
    with node.container.transaction() as session:
        org = identity.create_organisation(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            name=f"{node.code} police {name}",
            kind=OrganisationKind.AUTHORITY,
            jurisdiction=node.code,
            authority_type=AuthorityType.POLICE,
        )
        issued = identity.add_user(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            username=f"{name}-{node.code.lower()}",
            role=Role.OFFICER,
            organisation_id=org.id,
        )
        principal = identity.authenticate(session, issued.token)
    peers = tuple(code for code in ADDRESSES if code != node.code)
    share_case(node, CASE, peers=peers, lead_organisation=org.id)
    join(node, CASE, principal.user_id)
    return principal, issued.token


def collect_sealed(
    node: Node,
    principal: Principal,
    data: bytes = DATA,
    *,
    tlp: Tlp = Tlp.AMBER,
    category: DataCategory = DataCategory.CONTENT,
) -> str:
    """Collect ``data`` in the case and seal it; returns the item id."""
    blob = folder_store_for(node.settings).put([data])
    metadata = NewEvidence(
        kind=EvidenceKind.WEBPAGE_CAPTURE,
        case_id=CASE,
        data_category=category,
        tlp=tlp,
        legal_authority=f"{node.code}-WARRANT-2026-9",
        retention_until=node.container.clock.now() + timedelta(days=365),
        media_type="text/html",
        source="http://exampleonionaddress.onion/listing/42",
        filename="listing-42.html",
    )
    with node.container.transaction() as session:
        item = service.collect(
            session,
            clock=node.container.clock,
            keystore=node.keystore,
            principal=principal,
            node_jurisdiction=node.code,
            blob=blob,
            metadata=metadata,
        )
        service.record_action(
            session,
            clock=node.container.clock,
            keystore=node.keystore,
            principal=principal,
            evidence_id=item.id,
            action=CustodyAction.SEALED,
        )
        return item.id


def transfer(client: TestClient, token: str, evidence_id: str, to: str, *, agreement: str = AGREEMENT) -> Any:
    return client.post(
        f"{API}/evidence/{evidence_id}/transfer",
        json={"to": to, "agreement_id": agreement, "note": "for the joint case"},
        headers=bearer(token),
    )


def exchange(nodes: dict[str, Node], http: dict[str, TestClient], *path: str) -> None:
    """Deliver and dispatch along ``path`` (e.g. DE, IE, DE): each hop's outbox to the next, handled there."""
    for sender, receiver in itertools.pairwise(path):
        deliver(nodes[sender], http[receiver])
        dispatch_pending(nodes[receiver].container)


def item_of(node: Node, evidence_id: str) -> EvidenceItem:
    with node.container.transaction() as session:
        item = session.get(EvidenceItem, evidence_id)
        assert item is not None
        session.expunge(item)
        return item


def items_from(node: Node, origin: str) -> list[EvidenceItem]:
    with node.container.transaction() as session:
        rows = list(session.scalars(select(EvidenceItem).where(EvidenceItem.origin_node == origin)))
        for row in rows:
            session.expunge(row)
        return rows


def actions(node: Node, evidence_id: str) -> list[tuple[str, str, str | None]]:
    with node.container.transaction() as session:
        return [(e.action, e.actor, e.counterparty) for e in events_of(session, evidence_id)]


def custody_audit_tags(node: Node, evidence_id: str) -> list[str]:
    with node.container.transaction() as session:
        return list(
            session.scalars(
                select(AuditEvent.tag)
                .where(AuditEvent.subject_type == "evidence", AuditEvent.subject_id == evidence_id)
                .where(AuditEvent.tag.like("custody:evidence:%"))
                .order_by(AuditEvent.occurred_at, AuditEvent.id)
            )
        )


def outbox_rows(node: Node, kind: str) -> list[OutboxMessage]:
    with node.container.transaction() as session:
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))
        for row in rows:
            session.expunge(row)
        return rows


def opened_by(node: Node, data: bytes) -> dict[str, Any]:
    """The body of a message as the recipient ``node`` opens it (signature checked, seal opened)."""
    with node.container.transaction() as session:
        inbound = open_message(
            data,
            keys=PeerKeys.load(session),
            recipient=node.code,
            at=node.container.clock.now(),
            decryption_keys=decryption_keys(session, keystore=node.keystore, node=node.code),
        )
    return {"tlp": inbound.message.tlp, "body": dict(inbound.message.body)}


def blobs(node: Node) -> list[Path]:
    root = node.settings.home / "evidence" / "sha256"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# -- transfer, receipt, acknowledgement ---------------------------------------------------------------


def test_a_sealed_item_goes_to_the_peer_with_custody_events_on_both_sides(
    nodes: dict[str, Node], http: dict[str, TestClient], tmp_path: Path
) -> None:
    de, ie = nodes["DE"], nodes["IE"]
    principal, token = officer(de)
    evidence_id = collect_sealed(de, principal)

    response = transfer(http["DE"], token, evidence_id, "IE")
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["event"]["action"] == "transferred"
    assert sent["event"]["counterparty"] == "IE"
    assert sent["message_id"] in sent["event"]["note"]
    assert item_of(de, evidence_id).state == "in_transit"

    # On the wire: sealed; opened by IE, the facts and the one attachment, and no personal field.
    (row,) = outbox_rows(de, sharing.TRANSFER_KIND)
    assert DATA not in row.payload
    assert base64.b64encode(DATA) not in row.payload
    opened = opened_by(ie, row.payload)
    body = opened["body"]
    assert opened["tlp"] is Tlp.AMBER
    (attachment,) = body["attachments"]
    assert base64.b64decode(attachment["content"]) == DATA
    assert attachment["sha256"] == hashlib.sha256(DATA).hexdigest() == body["facts"]["sha256"]
    assert attachment["name"] == evidence_id
    assert attachment["data_category"] == "content"
    assert [json.loads(base64.b64decode(e["payload"]))["action"] for e in body["facts"]["events"]] == [
        "collected",
        "sealed",
        "transferred",
    ]
    assert b"listing-42.html" not in json.dumps(body).encode()
    assert b"onion" not in json.dumps(body).encode()

    exchange(nodes, http, "DE", "IE", "DE")

    (copy,) = items_from(ie, "DE")
    assert copy.id != evidence_id
    assert (copy.origin_evidence_id, copy.case_id, copy.jurisdiction) == (evidence_id, CASE, "IE")
    assert (copy.sha256, copy.size_bytes, copy.tlp, copy.state) == (
        hashlib.sha256(DATA).hexdigest(),
        len(DATA),
        "amber",
        "sealed",
    )
    assert copy.source is None
    assert copy.filename is None
    with folder_store_for(ie.settings).open(copy.sha256) as reader:
        assert reader.read() == DATA
    assert actions(ie, copy.id) == [("received", "node:IE", "DE")]
    with ie.container.transaction() as session:
        (first,) = events_of(session, copy.id)
        assert sent["message_id"] in (first.note or "")
        assert str(copy.origin_head_sha256) in (first.note or "")
        # the plaintext copy of the bytes is not kept beside the vault
        (message,) = session.scalars(
            select(ReceivedMessage).where(ReceivedMessage.kind == "evidence_transfer")
        )
        assert "content" not in message.body["attachments"][0]

    # DE's chain: the transfer acknowledged by IE's receipt; it keeps its sealed original.
    assert actions(de, evidence_id) == [
        ("collected", principal.user_id, None),
        ("sealed", principal.user_id, None),
        ("transferred", principal.user_id, "IE"),
        ("received", "node:DE", "IE"),
    ]
    assert item_of(de, evidence_id).state == "sealed"
    # The head IE recorded is DE's chain head at transfer (the transferred event).
    with de.container.transaction() as session:
        assert events_of(session, evidence_id)[2].envelope_sha256 == copy.origin_head_sha256
        assert copy.id in (events_of(session, evidence_id)[3].note or "")

    # Both audit trails (the leaves of each node's log) hold their custody events.
    assert custody_audit_tags(de, evidence_id) == [
        "custody:evidence:collected",
        "custody:evidence:sealed",
        "custody:evidence:transferred",
        "custody:evidence:received",
    ]
    assert custody_audit_tags(ie, copy.id) == ["custody:evidence:received"]

    # IE's bundle of the case, whose chain opens with the receipt, verifies offline.
    out = tmp_path / "ie-case.zip"
    export_bundle(
        ie.container.sessions,
        clock=ie.container.clock,
        settings=ie.settings,
        keystore=ie.keystore,
        store=folder_store_for(ie.settings),
        case_id=CASE,
        out=out,
    )
    report = verify_bundle(out)
    assert (report.items, report.events, report.evidence_files) == (1, 1, 1)
    # and its CASE/UCO export roots the chain at the receipt, with the authority signed in it.
    with ie.container.transaction() as session:
        document = case_uco_export(session, clock=ie.container.clock, case_id=CASE)
    names = [n.get("uco-core:name") for n in document["@graph"]]
    assert "received" in names
    assert any(
        n.get("case-investigation:authorizationIdentifier") == "DE-WARRANT-2026-9" for n in document["@graph"]
    )


def test_an_item_must_be_sealed_and_the_peer_known(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    de = nodes["DE"]
    principal, token = officer(de)
    evidence_id = collect_sealed(de, principal)
    assert transfer(http["DE"], token, evidence_id, "FR").json()["code"] == "unknown_peer"
    assert transfer(http["DE"], token, evidence_id, "DE").status_code == 422
    assert actions(de, evidence_id)[-1][0] == "sealed"  # nothing recorded by the refusals
    assert transfer(http["DE"], token, evidence_id, "IE").status_code == 201
    again = transfer(http["DE"], token, evidence_id, "IE")  # in transit: not sealed any more
    assert again.status_code == 409
    assert again.json()["current_state"] == "in_transit"
    assert len(outbox_rows(de, sharing.TRANSFER_KIND)) == 1


def test_a_transfer_attaches_only_to_a_case_shared_with_its_sender(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    de, ie = nodes["DE"], nodes["IE"]
    with ie.container.transaction() as session:  # IE no longer shares the case with DE
        for row in session.scalars(select(AssistanceRequest).where(AssistanceRequest.federated_with == "DE")):
            row.federated_with = None
    principal, token = officer(de)
    evidence_id = collect_sealed(de, principal)
    assert transfer(http["DE"], token, evidence_id, "IE").status_code == 201
    deliver(de, http["IE"])
    for _ in range(MAX_HANDLING_ATTEMPTS):
        assert dispatch_pending(ie.container) == 0
    with ie.container.transaction() as session:
        (message,) = session.scalars(select(ReceivedMessage).where(ReceivedMessage.kind == TRANSFER)).all()
        assert message.handling_failed_at is not None
        assert f"no case {CASE} shared with DE" in (message.handling_error or "")
        assert session.scalars(select(EvidenceItem)).all() == []  # no orphan item


def test_a_category_the_agreement_does_not_permit_never_leaves(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    de, ie = nodes["DE"], nodes["IE"]
    # dsa-eu5 binds DE and IE too, but permits subscriber data only.
    introduce(de, ie, base_url=ADDRESSES["IE"], agreements=(AGREEMENT, "dsa-eu5"))
    principal, token = officer(de)
    evidence_id = collect_sealed(de, principal, category=DataCategory.CONTENT)
    response = transfer(http["DE"], token, evidence_id, "IE", agreement="dsa-eu5")
    assert response.status_code == 422
    assert response.json()["type"].endswith("data-category-not-permitted")
    assert response.json()["path"] == "attachments[0]"
    assert outbox_rows(de, sharing.TRANSFER_KIND) == []
    with de.container.transaction() as session:
        assert all(DATA not in row.payload for row in session.scalars(select(OutboxMessage)))
    assert [a for a, _, _ in actions(de, evidence_id)] == ["collected", "sealed"]
    assert item_of(de, evidence_id).state == "sealed"

    # Under the agreement that permits it, the same item goes, and the category is on the opened wire.
    assert transfer(http["DE"], token, evidence_id, "IE").status_code == 201
    (row,) = outbox_rows(de, sharing.TRANSFER_KIND)
    assert opened_by(ie, row.payload)["body"]["attachments"][0]["data_category"] == "content"


# -- refusals of what does not hold together ------------------------------------------------------------


def _crafted_facts(evidence_id: str, sha256: str, size: int) -> dict[str, Any]:
    return {
        "evidence_id": evidence_id,
        "case_id": CASE,
        "kind": "webpage_capture",
        "data_category": "content",
        "tlp": "amber",
        "media_type": "text/html",
        "legal_authority": "DE-WARRANT-2026-9",
        "sha256": sha256,
        "size": size,
        "head": "0" * 64,
        "events": [],
        "keys": [],
    }


def test_bytes_that_are_not_what_the_facts_state_are_refused_and_given_up_with_an_alert(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    de, ie = nodes["DE"], nodes["IE"]
    # A sender that states one SHA-256 in the facts and attaches other bytes (signed, through the gate).
    other = b"something else entirely"
    with de.container.transaction() as session:
        prepared, _ = send(
            session,
            clock=de.container.clock,
            actor=SYSTEM_ACTOR,
            keystore=de.keystore,
            node="DE",
            item=Outbound(
                kind=sharing.TRANSFER_KIND,
                recipient="IE",
                tlp=Tlp.AMBER,
                facts=_crafted_facts("evd_crafted", hashlib.sha256(DATA).hexdigest(), len(DATA)),
                attachments=(Attachment("evd_crafted", "content", "text/html", other),),
            ),
            agreement_id=AGREEMENT,
            subject_type="evidence",
            subject_id="evd_crafted",
        )
    deliver(de, http["IE"])
    for _ in range(MAX_HANDLING_ATTEMPTS):
        assert dispatch_pending(ie.container) == 0
    with ie.container.transaction() as session:
        message = session.get(ReceivedMessage, prepared.message_id)
        assert message is not None
        assert message.handling_failed_at is not None
        assert "is not the evidence evd_crafted" in (message.handling_error or "")
        assert session.scalars(select(EvidenceItem)).all() == []
    assert len(alerts(ie, "federation_message_unhandled")) == 1
    assert blobs(ie) == []


def test_a_rolled_back_receipt_leaves_no_bytes_behind(
    nodes: dict[str, Node], http: dict[str, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    de, ie = nodes["DE"], nodes["IE"]
    principal, token = officer(de)
    evidence_id = collect_sealed(de, principal)
    assert transfer(http["DE"], token, evidence_id, "IE").status_code == 201
    deliver(de, http["IE"])

    def _fail(*_: object, **__: object) -> None:
        raise Conflict("the acknowledgement could not be queued")

    # Fails after the bytes were stored and the item created: everything must go, bytes included.
    monkeypatch.setattr(transfer_receive, "_acknowledge", _fail)
    assert dispatch_pending(ie.container) == 0
    assert items_from(ie, "DE") == []
    assert blobs(ie) == []
    monkeypatch.undo()
    assert dispatch_pending(ie.container) == 1  # the retry succeeds
    (copy,) = items_from(ie, "DE")
    assert len(blobs(ie)) == 1
    with folder_store_for(ie.settings).open(copy.sha256) as reader:
        assert reader.read() == DATA


def test_an_altered_chain_is_refused(nodes: dict[str, Node], http: dict[str, TestClient]) -> None:
    de, ie = nodes["DE"], nodes["IE"]
    principal, _ = officer(de)
    evidence_id = collect_sealed(de, principal)
    with de.container.transaction() as session:
        envelopes = [json.loads(e.envelope) for e in events_of(session, evidence_id)]
        head = events_of(session, evidence_id)[-1].envelope_sha256
    facts = _crafted_facts(evidence_id, hashlib.sha256(DATA).hexdigest(), len(DATA))
    # The chain stops at "sealed": it was never transferred to IE, whatever the sender says.
    facts.update(events=envelopes, head=head, legal_authority="DE-WARRANT-2026-9")
    with de.container.transaction() as session:
        facts["keys"] = key_statements(session, {s["keyid"] for e in envelopes for s in e["signatures"]})
        send(
            session,
            clock=de.container.clock,
            actor=SYSTEM_ACTOR,
            keystore=de.keystore,
            node="DE",
            item=Outbound(
                kind=sharing.TRANSFER_KIND,
                recipient="IE",
                tlp=Tlp.AMBER,
                facts=facts,
                attachments=(Attachment(evidence_id, "content", "text/html", DATA),),
            ),
            agreement_id=AGREEMENT,
            subject_type="evidence",
            subject_id=evidence_id,
        )
    deliver(de, http["IE"])
    assert dispatch_pending(ie.container) == 0
    with ie.container.transaction() as session:
        (message,) = session.scalars(select(ReceivedMessage))
        assert "does not end in a transfer to IE" in (message.handling_error or "")
    assert items_from(ie, "DE") == []


# -- TLP on onward sharing ------------------------------------------------------------------------------


def test_tlp_decides_where_a_received_item_may_go(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    de, ie = nodes["DE"], nodes["IE"]
    introduce(ie, nodes["FR"], base_url=ADDRESSES["FR"])
    de_officer, de_token = officer(de)
    _, ie_token = officer(ie)
    amber = collect_sealed(de, de_officer, b"amber bytes", tlp=Tlp.AMBER)
    red = collect_sealed(de, de_officer, b"red bytes", tlp=Tlp.RED)
    strict = collect_sealed(de, de_officer, b"strict bytes", tlp=Tlp.AMBER_STRICT)
    for evidence_id in (amber, red, strict):  # the originator shares its own items as it chooses
        assert transfer(http["DE"], de_token, evidence_id, "IE").status_code == 201
    exchange(nodes, http, "DE", "IE")
    copies = {item.tlp: item.id for item in items_from(ie, "DE")}
    assert set(copies) == {"amber", "red", "amber+strict"}

    def refused(evidence_id: str, to: str) -> str:
        response = transfer(http["IE"], ie_token, evidence_id, to)
        assert response.status_code == 403, response.text
        return str(response.json()["rule"])

    assert refused(copies["red"], "DE") == "tlp-red-no-onward-sharing"
    assert refused(copies["amber+strict"], "DE") == "tlp-amber-strict-organisation-only"
    assert refused(copies["amber"], "FR") == "tlp-amber-back-to-origin-only"
    assert outbox_rows(ie, sharing.TRANSFER_KIND) == []
    # AMBER may go back to the node it came from.
    assert transfer(http["IE"], ie_token, copies["amber"], "DE").status_code == 201


# -- retraction ---------------------------------------------------------------------------------------


def test_retraction_propagates_to_every_node_the_item_reached(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    de, ie, fr = nodes["DE"], nodes["IE"], nodes["FR"]
    introduce(ie, fr, base_url=ADDRESSES["FR"])
    introduce(fr, ie, base_url=ADDRESSES["IE"])
    de_officer, de_token = officer(de)
    _, ie_token = officer(ie)
    _, fr_token = officer(fr)
    evidence_id = collect_sealed(de, de_officer, tlp=Tlp.GREEN)
    assert transfer(http["DE"], de_token, evidence_id, "IE").status_code == 201
    exchange(nodes, http, "DE", "IE", "DE")
    (on_ie,) = items_from(ie, "DE")
    assert on_ie.tlp == "green"  # GREEN: within the community, on to any peer under an agreement
    assert transfer(http["IE"], ie_token, on_ie.id, "FR").status_code == 201
    exchange(nodes, http, "IE", "FR", "IE")
    (on_fr,) = items_from(fr, "IE")
    assert actions(fr, on_fr.id) == [("received", "node:FR", "IE")]
    assert [a for a, _, _ in actions(ie, on_ie.id)] == ["received", "transferred", "received"]
    content = f"{API}/evidence/{on_fr.id}/content"
    assert http["FR"].get(content, headers=bearer(fr_token)).content == DATA

    # Only the originating node retracts.
    refused = http["IE"].post(
        f"{API}/evidence/{on_ie.id}/retract", json={"reason": "x"}, headers=bearer(ie_token)
    )
    assert refused.status_code == 403

    response = http["DE"].post(
        f"{API}/evidence/{evidence_id}/retract",
        json={"reason": "collected under a warrant since quashed"},
        headers=bearer(de_token),
    )
    assert response.status_code == 201, response.text
    assert set(response.json()["notified"]) == {"IE"}
    assert item_of(de, evidence_id).retracted_at is not None
    exchange(nodes, http, "DE", "IE", "FR")

    for node, item, token in ((ie, on_ie, ie_token), (fr, on_fr, fr_token)):
        assert item_of(node, item.id).retracted_at is not None
        read = http[node.code].get(f"{API}/evidence/{item.id}/content", headers=bearer(token))
        assert read.status_code == 410
        assert read.json()["type"].endswith("evidence-retracted")
        (alert,) = [a for a in alerts(node, "evidence_retracted") if a.subject_id == item.id]
        assert alert.audience == "officers"
        assert "warrant since quashed" in alert.message
        with node.container.transaction() as session:
            assert session.scalar(
                select(AuditEvent.id).where(
                    AuditEvent.tag == "custody:evidence:retracted", AuditEvent.subject_id == item.id
                )
            )
            (message,) = session.scalars(
                select(ReceivedMessage).where(ReceivedMessage.kind == "evidence_transfer")
            )
            assert message.retracted_at is not None
    # A retracted item is never shared again, not even back.
    again = transfer(http["IE"], ie_token, on_ie.id, "DE")
    assert again.status_code == 409
    assert again.json()["rule"] == "retracted-never-shared"
    # The originator keeps its own evidence readable, but shares it no more.
    assert http["DE"].get(f"{API}/evidence/{evidence_id}/content", headers=bearer(de_token)).content == DATA
    assert transfer(http["DE"], de_token, evidence_id, "IE").status_code == 409


def cli(node: Node, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "comity.cli.main", "evidence", *args],
        env={**node.env(), "COMITY_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_transfer_from_the_cli(nodes: dict[str, Node]) -> None:
    de = nodes["DE"]
    principal, token = officer(de)
    evidence_id = collect_sealed(de, principal)
    done = cli(de, token, "transfer", evidence_id, "--to", "IE", "--agreement", AGREEMENT, "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["to"] == "IE"
    (row,) = outbox_rows(de, sharing.TRANSFER_KIND)
    assert row.idempotency_key == f"federation:{summary['message_id']}"
    refused = cli(de, token, "transfer", evidence_id, "--to", "IE", "--agreement", AGREEMENT)
    assert refused.returncode == 2
    assert "in_transit" in refused.stderr


def test_a_peer_that_can_no_longer_be_told_is_named_not_fatal(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    de = nodes["DE"]
    principal, token = officer(de)
    evidence_id = collect_sealed(de, principal)
    assert transfer(http["DE"], token, evidence_id, "IE").status_code == 201
    with de.container.transaction() as session:
        directory.remove_peer(session, clock=de.container.clock, actor=SYSTEM_ACTOR, jurisdiction="IE")
    response = http["DE"].post(
        f"{API}/evidence/{evidence_id}/retract", json={"reason": "shared in error"}, headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    assert response.json()["notified"] == {}
    assert set(response.json()["not_notified"]) == {"IE"}
    assert item_of(de, evidence_id).retracted_at is not None
    assert outbox_rows(de, sharing.RETRACTION_KIND) == []
