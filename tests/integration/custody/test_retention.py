"""Retention: purge past-retention evidence unless held; tombstones, node-signed destruction, log intact."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from comity.audit.model import AuditEvent
from comity.cli.main import app as cli
from comity.clock import FixedClock
from comity.custody import retention
from comity.custody.actors import node_actor
from comity.custody.model import CustodyEvent, EvidenceItem
from comity.custody.payload import CustodyPayload
from comity.custody.store import folder_store_for
from comity.keys import queries
from comity.keys.keystore import Keystore
from comity.kinds import Role
from comity.signing.envelope import Envelope, PayloadType, verify
from comity.signing.keys import KeyPurpose
from comity.translog import service as translog
from comity.web.container import Container
from integration.custody.custody_support import API, UserFactory, blob_files, close_case, join_case, upload
from support import bearer


def _run(node: Container, *, dry_run: bool = False) -> retention.RetentionReport:
    return retention.run(
        node.sessions,
        clock=node.clock,
        keystore=Keystore.for_settings(node.settings),
        store=folder_store_for(node.settings),
        jurisdiction="IE",
        dry_run=dry_run,
    )


def _integrate(node: Container) -> None:
    with node.transaction() as session:
        signer = translog.node_log_signer(session, settings=node.settings, clock=node.clock)
        translog.integrate_pending(session, clock=node.clock, signer=signer)


@pytest.fixture
def items(node: Container, client: TestClient, make_user: UserFactory) -> dict[str, str]:
    """Items of 30 days' retention (plain, held by a judge, held by a hold source) and one sharing bytes."""
    officer = make_user(Role.OFFICER)
    judge = make_user(Role.JUDGE)
    now = node.clock.now()
    ids = {
        "plain": upload(client, officer, b"plain bytes", now, retention_days=30).json()["id"],
        "held": upload(client, officer, b"held bytes", now, retention_days=30, case_id="case_h").json()["id"],
        "sourced": upload(client, officer, b"source", now, retention_days=30, case_id="case_open").json()[
            "id"
        ],
        "kept": upload(client, officer, b"plain bytes", now, retention_days=36500).json()["id"],
    }
    note = {"action": "analysed", "note": "seller's name appears in the header"}
    client.post(f"{API}/evidence/{ids['plain']}/events", json=note, headers=bearer(officer))
    join_case(node, judge, "case_h")  # the judge placing the hold reads the case
    # Retention applies to the evidence of closed cases; case_open stays open, which holds its item.
    close_case(node, "case_1")
    close_case(node, "case_h")
    hold = {"evidence_id": ids["held"], "reason": "pending challenge before the court"}
    assert client.post(f"{API}/legal-holds", json=hold, headers=bearer(judge)).status_code == 201
    # A node key for the log's checkpoints and the node's own acts (it would exist on a running node).
    with node.transaction() as session:
        node_actor(
            session, clock=node.clock, keystore=Keystore.for_settings(node.settings), jurisdiction="IE"
        )
    _integrate(node)
    return ids


def test_retention_purges_what_is_due_and_spares_what_is_held(node: Container, items: dict[str, str]) -> None:
    assert isinstance(node.clock, FixedClock)
    node.clock.advance(timedelta(days=31))
    dry = _run(node, dry_run=True)
    assert {(o.evidence_id, o.outcome) for o in dry.outcomes} == {
        (items["plain"], "purged"),
        (items["held"], "held"),
        (items["sourced"], "held"),
    }
    with node.transaction() as session:
        assert all(i.purged_at is None for i in session.scalars(select(EvidenceItem)))
    before = len(blob_files(node))

    report = _run(node)
    assert report.count("purged") == 1
    assert report.count("held") == 2
    assert dict((o.evidence_id, o.reasons) for o in report.outcomes)[items["sourced"]] == (
        "case case_open is open",
    )
    with node.transaction() as session:
        plain = session.get(EvidenceItem, items["plain"])
        held = session.get(EvidenceItem, items["held"])
        events = session.scalars(
            select(CustodyEvent).where(CustodyEvent.evidence_id == items["plain"]).order_by(CustodyEvent.seq)
        ).all()
        ring = queries.key_ring(session)
        actors = set(
            session.scalars(
                select(AuditEvent.actor).where(AuditEvent.id.in_([e.audit_event_id for e in events]))
            )
        )
    # The tombstone: hash and purge facts stay, personal data and salts are gone.
    assert plain is not None
    assert plain.purged_at is not None
    assert plain.state == "destroyed"
    assert plain.sha256
    assert plain.purge_reason
    assert "retention ended" in plain.purge_reason
    assert (plain.source, plain.filename, plain.description, plain.personal_salt) == (None, None, None, None)
    assert all(e.note is None and e.note_salt is None for e in events)
    assert actors == {retention.PURGED_ACTOR}
    # The destruction is signed by the node's key.
    destroyed = events[-1]
    verified = verify(
        Envelope.from_json(destroyed.envelope),
        keys=ring,
        expected_type=PayloadType.CUSTODY_EVENT,
        purposes={KeyPurpose.NODE_SIGNING},
        at=destroyed.occurred_at,
    )
    assert CustodyPayload.from_payload(verified.payload).action.value == "destroyed"
    # Held items are untouched; the bytes shared with the item kept for 100 years stay.
    assert held is not None
    assert held.source is not None
    assert held.state == "open"
    assert held.purged_at is None
    assert len(blob_files(node)) == before
    # The log still verifies, before and after integrating the purge's own events.
    with node.transaction() as session:
        translog.verify_log(session)
    _integrate(node)
    with node.transaction() as session:
        translog.verify_log(session)
    assert _run(node).count("purged") == 0  # idempotent


def test_purged_bytes_leave_the_store(node: Container, client: TestClient, make_user: UserFactory) -> None:
    officer = make_user(Role.OFFICER)
    upload(client, officer, b"only copy", node.clock.now(), retention_days=10)
    close_case(node)
    assert len(blob_files(node)) == 1
    assert isinstance(node.clock, FixedClock)
    node.clock.advance(timedelta(days=11))
    assert _run(node).count("purged") == 1
    assert blob_files(node) == []


def test_items_in_transit_wait_for_receipt(
    node: Container, client: TestClient, make_user: UserFactory
) -> None:
    officer = make_user(Role.OFFICER)
    evidence_id = upload(client, officer, b"in transit", node.clock.now(), retention_days=10).json()["id"]
    for body in ({"action": "sealed"}, {"action": "transferred", "counterparty": "FR"}):
        client.post(f"{API}/evidence/{evidence_id}/events", json=body, headers=bearer(officer))
    close_case(node)
    assert isinstance(node.clock, FixedClock)
    node.clock.advance(timedelta(days=11))
    report = _run(node)
    assert [(o.outcome, o.evidence_id) for o in report.outcomes] == [("skipped", evidence_id)]
    assert len(blob_files(node)) == 1


def test_retention_cli(
    node: Container,
    items: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMITY_HOME", str(node.settings.home))
    monkeypatch.setenv("COMITY_DATABASE_URL", node.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    # The CLI runs on the wall clock: 2026-09 + 30 days is long past, so the items are due.
    dry = runner.invoke(cli, ["retention", "run", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    summary = json.loads(dry.output)
    assert (summary["dry_run"], summary["purged"], summary["held"]) == (True, 1, 2)
    real = runner.invoke(cli, ["retention", "run"])
    assert real.exit_code == 0, real.output
    assert "purged 1, held 2, skipped 0" in real.output
    with node.transaction() as session:
        purged = session.get(EvidenceItem, items["plain"])
        assert purged is not None
        assert purged.purged_at is not None
