"""Pseudonym keys shared by an agreement's parties: DE (steward of eev-eu5) distributes, IE receives.

Each node has its own database; the key travels as a sealed ``pseudonym_key`` message over the HTTP inboxes
and is handled by the receiving node's dispatch, as in production.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comity.agreements import service as agreements
from comity.agreements.model import Agreement
from comity.audit.model import AuditEvent
from comity.errors import Conflict, Forbidden
from comity.federation import outbound, pseudonyms
from comity.federation.dispatch import dispatch_pending
from comity.federation.model import AgreementPseudonymKey, ReceivedMessage
from comity.federation.pseudonyms import SharedPseudonymSecrets
from comity.governance import service as governance
from comity.governance.model import DocumentKind
from comity.identity.principal import SYSTEM_ACTOR
from comity.kinds import DataCategory
from comity.outbox.model import OutboxMessage
from comity.transport.egress import Outbound, pseudonymise
from comity.transport.tlp import Tlp
from comity.worker.jobs import tick
from integration.federation.conftest import ADDRESSES
from integration.federation.nodes import AGREEMENT, Node, introduce
from integration.federation.test_cli import comity
from integration.federation.test_exchange import deliver, outbox_row, received

EMAIL = "seller@example.org"


def with_pseudonymous_email(agreement: Agreement) -> Agreement:
    """``agreement`` with its subscriber e-mail pseudonymous (eev-eu5 marks none: production needs values)."""
    terms = agreement.data_categories[DataCategory.SUBSCRIBER]
    marked = dataclasses.replace(terms, pseudonymous_fields=("email",))
    return dataclasses.replace(
        agreement, data_categories={**agreement.data_categories, DataCategory.SUBSCRIBER: marked}
    )


@pytest.fixture
def pseudonymous_email(monkeypatch: pytest.MonkeyPatch) -> None:
    """The federation path sees eev-eu5 with the subscriber e-mail marked pseudonymous."""
    real = agreements.get_agreement

    def marked(session: Any, agreement_id: str) -> agreements.AgreementVersions:
        found = real(session, agreement_id)
        return dataclasses.replace(found, agreement=with_pseudonymous_email(found.agreement))

    monkeypatch.setattr(outbound, "get_agreement", marked)


def distribute(node: Node) -> pseudonyms.Distribution:
    with node.container.transaction() as session:
        return pseudonyms.ensure_distributed(
            session, clock=node.container.clock, keystore=node.keystore, node=node.code
        )


def shared(node: Node, session: Any) -> SharedPseudonymSecrets:
    return SharedPseudonymSecrets(session, node.keystore, node=node.code, clock=node.container.clock)


def pseudonym_on(node: Node, value: str = EMAIL) -> str:
    with node.container.transaction() as session:
        return pseudonymise(shared(node, session).secret_for(AGREEMENT, 1), value)


def all_pseudonyms_on(node: Node, value: str = EMAIL) -> list[str]:
    with node.container.transaction() as session:
        return shared(node, session).pseudonyms(AGREEMENT, 1, value)


def held(node: Node) -> list[tuple[int, str, bool]]:
    """(generation, origin, retired) of every key ``node`` holds for eev-eu5 v1."""
    with node.container.transaction() as session:
        return [
            (k.generation, k.origin, k.retired_at is not None)
            for k in pseudonyms.keys_of(session, AGREEMENT, 1)
        ]


def secrets_of(node: Node) -> list[bytes]:
    with node.container.transaction() as session:
        return shared(node, session).secrets_for(AGREEMENT, 1)


def audit_rows(node: Node, prefix: str = "") -> list[AuditEvent]:
    with node.container.transaction() as session:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.tag.startswith(prefix))))
        for row in rows:
            session.expunge(row)
        return rows


def forms(secret: bytes) -> list[bytes]:
    """The ways a secret could show up in bytes or text: raw, hex, base64 (standard and url-safe)."""
    return [
        secret,
        secret.hex().encode(),
        base64.b64encode(secret),
        base64.urlsafe_b64encode(secret),
        base64.b64encode(secret).rstrip(b"="),
    ]


def assert_absent(secret: bytes, *blobs: bytes | str) -> None:
    for blob in blobs:
        data = blob.encode() if isinstance(blob, str) else blob
        for form in forms(secret):
            assert form not in data


def pending_errors(node: Node) -> list[str]:
    with node.container.transaction() as session:
        return [
            m.handling_error or ""
            for m in session.scalars(select(ReceivedMessage).where(ReceivedMessage.retrieved_at.is_(None)))
        ]


def send_pseudonymised(node: Node, recipient: str) -> tuple[str, str]:
    """Queue a subscriber e-mail (pseudonymised under the patched agreement); (message id, outbox id)."""
    with node.container.transaction() as session:
        prepared, row = outbound.send(
            session,
            clock=node.container.clock,
            actor=SYSTEM_ACTOR,
            keystore=node.keystore,
            node=node.code,
            item=Outbound(
                kind="production_request",
                recipient=recipient,
                tlp=Tlp.AMBER_STRICT,
                facts={"request_id": "req_1"},
                data={"subscriber": {"email": EMAIL}},
            ),
            agreement_id=AGREEMENT,
            subject_type="test",
            subject_id="t1",
        )
        assert prepared.minimisation.pseudonymised == ("subscriber.email",)
        return prepared.message_id, row.id


def test_the_steward_distributes_and_pseudonyms_link_across_nodes(
    nodes: dict[str, Node], http: dict[str, TestClient], pseudonymous_email: None
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    # Before: each node's own keystore secret gives a different pseudonym for the same value.
    assert pseudonymise(ie.keystore.secret_for(AGREEMENT, 1), EMAIL) != pseudonymise(
        de.keystore.secret_for(AGREEMENT, 1), EMAIL
    )

    report = distribute(de)
    # DE stewards every agreement in force whose first party (sorted) it is; only IE is its peer.
    assert f"{AGREEMENT} v1 gen 1" in report.generated
    assert report.sent == [f"pseudonym:{AGREEMENT}:1:1:IE"]  # FR, NL, ES are not DE's peers
    assert report.errors == {}
    assert distribute(de).sent == []  # idempotent: one message per peer and generation
    (secret,) = secrets_of(de)
    assert held(de) == [(1, "DE", False)]

    with de.container.transaction() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.subject_type == "pseudonym_key"))
        assert row is not None
        outbox_id, payload = row.id, row.payload
    assert_absent(secret, payload)  # the body is sealed to IE's key, and the secret once more inside it

    assert deliver(de, http["IE"]).delivered == 1
    assert dispatch_pending(ie.container) == 1
    assert held(ie) == [(1, "DE", False)]
    assert secrets_of(ie) == [secret]

    # IE stored it sealed, not in clear: not in its key table, the received body, nor the audit trail.
    (message,) = received(ie)
    assert message.kind == "pseudonym_key"
    assert message.tlp == Tlp.RED.value
    with ie.container.transaction() as session:
        (stored,) = session.scalars(select(AgreementPseudonymKey)).all()
        sealed = stored.secret_sealed
    assert_absent(secret, sealed, json.dumps(message.body), message.data)
    (event,) = audit_rows(ie, "federation:pseudonym_key:received")
    assert event.details["fingerprint"] == pseudonyms.fingerprint(secret)
    assert event.details["generation"] == 1
    for node in (ie, de):
        assert_absent(secret, json.dumps([e.details for e in audit_rows(node)], default=str))

    # The same value now gives the same pseudonym on both nodes.
    assert pseudonym_on(ie) == pseudonym_on(de) == pseudonymise(secret, EMAIL)

    # IE's retrieval evidence goes back to DE and is kept with the outbox row (no unhandled message).
    assert deliver(ie, http["DE"]).delivered == 1
    assert dispatch_pending(de.container) == 1
    assert outbox_row(de, outbox_id).evidence["retrieval"]["by"] == "IE"

    # And through the whole federation path: what IE sends, DE matches with its own computation.
    send_pseudonymised(ie, "DE")
    assert deliver(ie, http["DE"]).delivered == 1
    (request,) = [m for m in received(de) if m.kind == "production_request"]
    assert request.body["data"] == {"subscriber": {"email": pseudonym_on(de)}}
    assert request.body["pseudonymised"] == ["subscriber.email"]


def test_a_non_steward_without_the_key_refuses_to_pseudonymise(
    nodes: dict[str, Node], pseudonymous_email: None
) -> None:
    ie = nodes["IE"]
    with pytest.raises(Conflict, match=r"no shared pseudonym key for agreement eev-eu5 v1 yet: wait for DE"):
        send_pseudonymised(ie, "DE")
    with ie.container.transaction() as session:
        assert session.scalars(select(OutboxMessage)).all() == []
        assert session.scalars(select(AgreementPseudonymKey)).all() == []
    # Nothing to distribute on a node that is not the steward.
    assert distribute(ie) == pseudonyms.Distribution()
    # A message without pseudonymised fields still goes (no key needed).
    with ie.container.transaction() as session:
        outbound.send(
            session,
            clock=ie.container.clock,
            actor=SYSTEM_ACTOR,
            keystore=ie.keystore,
            node="IE",
            item=Outbound(kind="note", recipient="DE", tlp=Tlp.AMBER, facts={"n": 1}),
            agreement_id=AGREEMENT,
            subject_type="test",
            subject_id="t2",
        )


def test_the_steward_generates_on_first_use_and_distributes_that_key(
    nodes: dict[str, Node], http: dict[str, TestClient], pseudonymous_email: None
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    send_pseudonymised(de, "IE")
    assert held(de) == [(1, "DE", False)]
    report = distribute(de)
    assert f"{AGREEMENT} v1 gen 1" not in report.generated
    assert report.sent == [f"pseudonym:{AGREEMENT}:1:1:IE"]
    # Queued after the request, so delivered after it: IE matches the request once the key is handled.
    assert deliver(de, http["IE"]).delivered == 2
    dispatch_pending(ie.container)
    (request,) = [m for m in received(ie) if m.kind == "production_request"]
    assert request.body["data"]["subscriber"]["email"] == pseudonym_on(ie) == pseudonym_on(de)


def test_a_key_from_a_non_steward_is_refused(nodes: dict[str, Node], http: dict[str, TestClient]) -> None:
    ie, fr = nodes["IE"], nodes["FR"]
    introduce(ie, fr, base_url=ADDRESSES["FR"])
    introduce(fr, ie, base_url=ADDRESSES["IE"])
    assert distribute(fr) == pseudonyms.Distribution()  # FR is not the steward: it generates nothing
    # FR sends a key anyway (as a compromised or misconfigured node could).
    with fr.container.transaction() as session:
        agreement = agreements.get_agreement(session, AGREEMENT).agreement
        key = AgreementPseudonymKey(
            agreement_id=AGREEMENT, agreement_version=1, generation=1, origin="FR", retired_at=None
        )
        pseudonyms._send_key(
            session,
            clock=fr.container.clock,
            keystore=fr.keystore,
            node="FR",
            actor=SYSTEM_ACTOR,
            agreement=agreement,
            key=key,
            secret=b"\x01" * 32,
            peer="IE",
            subject="pseudonym:forged",
        )
    assert deliver(fr, http["IE"]).delivered == 1
    assert dispatch_pending(ie.container) == 0
    (error,) = pending_errors(ie)
    assert "Forbidden" in error
    assert "from FR refused: only the agreement's steward (DE) distributes its keys" in error
    assert held(ie) == []


def test_another_secret_for_a_generation_already_held_is_refused(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    distribute(de)
    deliver(de, http["IE"])
    assert dispatch_pending(ie.container) == 1
    first = secrets_of(ie)
    # DE sends generation 1 again, with another secret (a steward that lost its database, or worse).
    with de.container.transaction() as session:
        agreement = agreements.get_agreement(session, AGREEMENT).agreement
        (key,) = pseudonyms.keys_of(session, AGREEMENT, 1)
        session.expunge(key)
        pseudonyms._send_key(
            session,
            clock=de.container.clock,
            keystore=de.keystore,
            node="DE",
            actor=SYSTEM_ACTOR,
            agreement=agreement,
            key=key,
            secret=b"\x02" * 32,
            peer="IE",
            subject="pseudonym:again",
        )
    assert deliver(de, http["IE"]).delivered == 1
    assert dispatch_pending(ie.container) == 0
    (error,) = pending_errors(ie)
    assert "already held with another secret: refused, a key is never overwritten" in error
    assert secrets_of(ie) == first


def test_rotation_makes_a_new_pseudonym_and_old_ones_still_match(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    distribute(de)
    deliver(de, http["IE"])
    dispatch_pending(ie.container)
    old = pseudonym_on(ie)
    assert old == pseudonym_on(de)

    with ie.container.transaction() as session, pytest.raises(Forbidden, match=r"only the steward .* \(DE\)"):
        pseudonyms.rotate(
            session,
            clock=ie.container.clock,
            keystore=ie.keystore,
            node="IE",
            actor=SYSTEM_ACTOR,
            agreement_id=AGREEMENT,
        )
    with de.container.transaction() as session:
        key, report = pseudonyms.rotate(
            session,
            clock=de.container.clock,
            keystore=de.keystore,
            node="DE",
            actor=SYSTEM_ACTOR,
            agreement_id=AGREEMENT,
        )
        assert key.generation == 2
    assert report.sent == [f"pseudonym:{AGREEMENT}:1:2:IE"]
    assert held(de) == [(2, "DE", False), (1, "DE", True)]
    new_on_de = pseudonym_on(de)
    assert new_on_de != old

    deliver(de, http["IE"])
    assert dispatch_pending(ie.container) == 1
    assert held(ie) == [(2, "DE", False), (1, "DE", True)]
    assert secrets_of(ie) == secrets_of(de)  # newest first
    assert pseudonym_on(ie) == new_on_de
    # An old pseudonym (received before the rotation) still matches, under the older generation.
    assert all_pseudonyms_on(ie) == [new_on_de, old]
    assert old in all_pseudonyms_on(de)
    assert pseudonyms.all_pseudonyms(secrets_of(ie), EMAIL) == [new_on_de, old]
    assert distribute(de).sent == []


def test_the_cli_lists_distributes_and_rotates_without_showing_the_secret(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    # Distributed in-process: the CLI runs on the wall clock, the nodes' inboxes on the tests' fixed one.
    distribute(de)
    deliver(de, http["IE"])
    dispatch_pending(ie.container)

    listed = comity(ie, "pseudonym-keys", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (key,) = json.loads(listed.stdout)
    (secret,) = secrets_of(ie)
    assert key | {"created_at": None} == {
        "agreement": AGREEMENT,
        "version": 1,
        "generation": 1,
        "origin": "DE",
        "fingerprint": pseudonyms.fingerprint(secret),
        "created_at": None,
        "retired_at": None,
    }
    refused = comity(ie, "pseudonym-keys", "rotate", "--agreement", AGREEMENT)
    assert refused.returncode != 0
    assert "only the steward of agreement eev-eu5 (DE)" in refused.stderr
    rotated = comity(de, "pseudonym-keys", "rotate", "--agreement", AGREEMENT)
    assert rotated.returncode == 0, rotated.stderr
    assert "now at generation 2" in rotated.stdout
    text = comity(de, "pseudonym-keys", "list")
    assert "gen 1" in text.stdout
    assert "retired" in text.stdout
    assert "gen 2" in text.stdout
    distributed = comity(de, "pseudonym-keys", "distribute", "--json")
    assert distributed.returncode == 0, distributed.stderr
    assert json.loads(distributed.stdout)["sent"] == []  # the rotation sent generation 2 already
    messages = comity(ie, "messages", "list", "--json")
    assert messages.returncode == 0, messages.stderr
    outputs = [distributed, listed, refused, rotated, text, messages]
    for new_secret in secrets_of(de):
        for result in outputs:
            assert_absent(new_secret, result.stdout, result.stderr)


def test_the_worker_job_distributes_on_the_steward_only(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    assert tick(ie.container, only=(pseudonyms.JOB,)).done == {pseudonyms.JOB: 0}
    report = tick(de.container, only=(pseudonyms.JOB,))
    assert (report.done, report.errors) == ({pseudonyms.JOB: 1}, {})
    assert tick(de.container, only=(pseudonyms.JOB,)).done == {pseudonyms.JOB: 0}
    deliver(de, http["IE"])
    assert dispatch_pending(ie.container) == 1
    assert held(ie) == [(1, "DE", False)]


def install_version_2(node: Node) -> None:
    """Propose and approve eev-eu5 v2 (same terms) on ``node``."""
    with node.container.transaction() as session:
        content = {**agreements.get_agreement(session, AGREEMENT).row.content, "version": 2}
        row = governance.propose(
            session,
            clock=node.container.clock,
            actor="user:admin",
            kind=DocumentKind.AGREEMENT,
            content=content,
        )
        governance.approve_as(session, clock=node.container.clock, document_id=row.id, actor="user:auditor")


def test_a_new_agreement_version_gets_a_key_of_its_own(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    ie, de = nodes["IE"], nodes["DE"]
    distribute(de)
    deliver(de, http["IE"])
    dispatch_pending(ie.container)
    for node in (ie, de):
        install_version_2(node)
    report = distribute(de)
    assert f"{AGREEMENT} v2 gen 1" in report.generated
    assert report.sent == [f"pseudonym:{AGREEMENT}:2:1:IE"]
    deliver(de, http["IE"])
    assert dispatch_pending(ie.container) == 1

    def under(node: Node, version: int) -> str:
        with node.container.transaction() as session:
            return pseudonymise(shared(node, session).secret_for(AGREEMENT, version), EMAIL)

    assert under(ie, 2) == under(de, 2)
    assert under(ie, 2) != under(ie, 1)
    assert held(ie) == [(1, "DE", False)]  # version 1's key stays, for what was sent under it
