"""Agreements and governance on a real database, over the HTTP API and the public pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from comity.agreements import service
from comity.agreements.loader import package_dir
from comity.audit.model import AuditEvent
from comity.clock import FixedClock
from comity.kinds import OrganisationKind, Role
from comity.web.container import Container
from integration.agreements.conftest import TokenFactory
from support import bearer, problem_fields

PROPOSER, APPROVER = "user:demo-admin", "user:oversight-demo"


@pytest.fixture
def installed(agreements_container: Container) -> Container:
    with agreements_container.transaction() as session:
        counts = service.install_bundled(
            session, clock=agreements_container.clock, proposer=PROPOSER, approver=APPROVER
        )
    assert counts == {"installed": 14, "unchanged": 0, "kept": 0}
    return agreements_container


def test_install_is_idempotent_across_transactions(installed: Container) -> None:
    with installed.transaction() as session:
        again = service.install_bundled(session, clock=installed.clock, proposer=PROPOSER, approver=APPROVER)
        assert again == {"installed": 0, "unchanged": 14, "kept": 0}
        tags = dict(
            session.execute(
                select(AuditEvent.tag, func.count())
                .where(AuditEvent.tag.like("governance:%"))
                .group_by(AuditEvent.tag)
            ).all()
        )
        context = service.current_context(session)
    assert tags == {"governance:document:proposed": 14, "governance:document:approved": 14}
    assert len(context.offences) == 38
    assert set(context.jurisdictions) == {"IE", "DE", "FR", "NL", "ES", "GB"}
    assert len(context.agreements) == 7


def test_open_data_needs_no_token(installed: Container, agreements_client: TestClient) -> None:
    offences = agreements_client.get("/api/v1/offences").json()
    assert {o["code"] for o in offences} >= {"counterfeit_goods", "narcotics_trafficking"}
    fraud = next(o for o in offences if o["code"] == "computer_fraud")
    assert (fraud["severity"], fraud["list_offence"], fraud["list_categories"]) == ("high", True, [11, 20])

    jurisdictions = agreements_client.get("/api/v1/jurisdictions").json()
    assert [j["code"] for j in jurisdictions] == ["DE", "ES", "FR", "GB", "IE", "NL"]
    germany = agreements_client.get("/api/v1/jurisdictions/de").json()
    betrug = next(s for s in germany["statutes"] if s["id"] == "DE-StGB-263")
    assert (betrug["statute"], betrug["max_penalty_months"]) == ("StGB § 263 Abs. 1", 60)
    assert germany["time_zone"] == "Europe/Berlin"

    missing = agreements_client.get("/api/v1/jurisdictions/XX")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")

    schema = agreements_client.get("/api/v1/schemas/agreement").json()
    assert schema["title"] == "Comity cooperation agreement"
    assert agreements_client.get("/api/v1/schemas/nope").status_code == 404


def test_agreements_read_with_days_to_sunset_and_versions(
    installed: Container, agreements_client: TestClient
) -> None:
    summaries = {a["id"]: a for a in agreements_client.get("/api/v1/agreements").json()}
    assert set(summaries) == {
        "eev-eu5",
        "bud-gb-ie",
        "mla-gb-ie",
        "frz-eu5",
        "dsa-eu5",
        "terms-bazaar",
        "jit-shadowmart",
    }
    jit = summaries["jit-shadowmart"]
    assert (jit["in_force"], jit["days_to_sunset"], jit["sunset"]) == (True, 214, "2027-06-30")

    eev = agreements_client.get("/api/v1/agreements/eev-eu5").json()
    assert eev["regime"] == "e_evidence"
    assert eev["parties"] == ["DE", "ES", "FR", "IE", "NL"]
    assert eev["permitted_measures"]["low"] == ["preservation", "preservation_extension", "production"]
    assert eev["deadlines"]["production_emergency"] == "8 hours"
    assert {d["category"] for d in eev["data_categories"]} == {
        "subscriber",
        "identification",
        "traffic",
        "content",
    }
    assert [v["version"] for v in eev["versions"]] == [1]
    assert eev["status"] == "approved"
    assert len(eev["content_sha256"]) == 64
    assert eev["legal_basis"].startswith("Regulation (EU) 2023/1543")

    assert agreements_client.get("/api/v1/agreements/eev-eu5/versions/1").json()["version"] == 1
    assert agreements_client.get("/api/v1/agreements/eev-eu5/versions/9").status_code == 404
    assert agreements_client.get("/api/v1/agreements/nope").status_code == 404


def _jit_v2() -> str:
    text = (package_dir("demo") / "jit-shadowmart.yaml").read_text(encoding="utf-8")
    return text.replace("version: 1", "version: 2", 1).replace('sunset: "2027-06-30"', 'sunset: "2027-12-31"')


def test_a_proposal_takes_effect_only_once_oversight_approves(
    installed: Container, agreements_client: TestClient, token_for: TokenFactory
) -> None:
    admin = token_for("node-admin", Role.ADMINISTRATOR, OrganisationKind.AUTHORITY)
    auditor = token_for("auditor", Role.AUDITOR, OrganisationKind.OVERSIGHT)
    body = {"kind": "agreement", "text": _jit_v2()}

    created = agreements_client.post("/api/v1/governance/proposals", json=body, headers=bearer(admin))
    assert created.status_code == 201, created.text
    proposal = created.json()
    assert (proposal["status"], proposal["version"], proposal["proposed_by"]) == (
        "proposed",
        2,
        "user:node-admin",
    )
    assert agreements_client.get("/api/v1/agreements/jit-shadowmart").json()["version"] == 1

    approved = agreements_client.post(
        f"/api/v1/governance/proposals/{proposal['id']}/approve",
        json={"note": "extension agreed"},
        headers=bearer(auditor),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["decided_by"] == "user:auditor"

    current = agreements_client.get("/api/v1/agreements/jit-shadowmart").json()
    assert (current["version"], current["sunset"]) == (2, "2027-12-31")
    assert [(v["version"], v["status"]) for v in current["versions"]] == [(1, "superseded"), (2, "approved")]
    assert (
        agreements_client.get("/api/v1/agreements/jit-shadowmart/versions/1").json()["status"] == "superseded"
    )

    listed = agreements_client.get(
        "/api/v1/governance/proposals?kind=agreement&key=jit-shadowmart", headers=bearer(auditor)
    )
    assert [p["version"] for p in listed.json()] == [2, 1]
    detail = agreements_client.get(
        f"/api/v1/governance/proposals/{proposal['id']}", headers=bearer(auditor)
    ).json()
    assert detail["content"]["sunset"] == "2027-12-31"


def test_governance_refusals_over_http(
    installed: Container, agreements_client: TestClient, token_for: TokenFactory
) -> None:
    admin = token_for("node-admin", Role.ADMINISTRATOR, OrganisationKind.AUTHORITY)
    officer = token_for("officer", Role.OFFICER, OrganisationKind.AUTHORITY)
    auditor = token_for("auditor", Role.AUDITOR, OrganisationKind.OVERSIGHT)
    oversight_admin = token_for("oversight-admin", Role.ADMINISTRATOR, OrganisationKind.OVERSIGHT)
    body = {"kind": "agreement", "text": _jit_v2()}
    post = agreements_client.post

    assert post("/api/v1/governance/proposals", json=body).status_code == 401
    assert post("/api/v1/governance/proposals", json=body, headers=bearer(officer)).status_code == 403
    assert post("/api/v1/governance/proposals", json=body, headers=bearer(auditor)).status_code == 403
    both = post("/api/v1/governance/proposals", json={**body, "content": {}}, headers=bearer(admin))
    assert both.status_code == 422

    broken = post(
        "/api/v1/governance/proposals",
        json={"kind": "agreement", "text": _jit_v2().replace("jurisdiction: FR", "jurisdiction: ZZ")},
        headers=bearer(admin),
    )
    assert broken.status_code == 422
    assert problem_fields(broken.json()) == ["parties[2].jurisdiction"]

    own = post("/api/v1/governance/proposals", json=body, headers=bearer(oversight_admin)).json()
    assert (
        post(f"/api/v1/governance/proposals/{own['id']}/approve", headers=bearer(oversight_admin)).status_code
        == 403
    )
    assert post(f"/api/v1/governance/proposals/{own['id']}/approve", headers=bearer(admin)).status_code == 403
    assert (
        post(f"/api/v1/governance/proposals/{own['id']}/approve", headers=bearer(officer)).status_code == 403
    )

    no_reason = post(
        f"/api/v1/governance/proposals/{own['id']}/reject", json={"note": ""}, headers=bearer(auditor)
    )
    assert no_reason.status_code == 422
    assert problem_fields(no_reason.json()) == ["note"]
    rejected = post(
        f"/api/v1/governance/proposals/{own['id']}/reject",
        json={"note": "no case made"},
        headers=bearer(auditor),
    )
    assert rejected.json()["status"] == "rejected"
    again = post(f"/api/v1/governance/proposals/{own['id']}/approve", headers=bearer(auditor))
    assert again.status_code == 409
    assert again.json()["current_state"] == "rejected"

    duplicate = post("/api/v1/governance/proposals", json=body, headers=bearer(admin))
    assert duplicate.status_code == 422
    assert problem_fields(duplicate.json()) == ["version"]
    assert agreements_client.get("/api/v1/governance/proposals", headers=bearer(officer)).status_code == 403


def test_pages_render_each_agreement_readably(installed: Container, agreements_client: TestClient) -> None:
    listing = agreements_client.get("/agreements")
    assert listing.status_code == 200
    assert "Bazaar Ltd" in listing.text
    assert "days to sunset" in listing.text

    page = agreements_client.get("/agreements/eev-eu5").text
    for expected in (
        "Regulation (EU) 2023/1543",
        "Permitted measures by severity",
        "production emergency",
        "Regulation (EEC, Euratom) No 1182/71",
        "180 days",
        "Version history",
        "Joint Supervisory Panel",
    ):
        assert expected in page
    assert agreements_client.get("/agreements/eev-eu5?version=1").status_code == 200
    assert agreements_client.get("/agreements/nope").status_code == 404

    assert "Counterfeit goods" in agreements_client.get("/offences").text
    assert "Europe/Madrid" in agreements_client.get("/jurisdictions").text
    assert "StGB § 263 Abs. 1" in agreements_client.get("/jurisdictions/DE").text
    assert "life imprisonment" in agreements_client.get("/jurisdictions/IE").text
    governance = agreements_client.get("/governance").text
    assert "approved" in governance
    assert "user:" not in governance


def test_an_agreement_past_its_sunset_is_shown_as_authorising_nothing(
    installed: Container, agreements_client: TestClient, agreements_clock: FixedClock
) -> None:
    agreements_clock.advance(timedelta(days=400))
    jit = next(a for a in agreements_client.get("/api/v1/agreements").json() if a["id"] == "jit-shadowmart")
    assert (jit["in_force"], jit["days_to_sunset"]) == (False, -186)
    assert "past its sunset" in agreements_client.get("/agreements/jit-shadowmart").text


def test_an_empty_node_says_so(agreements_client: TestClient) -> None:
    assert agreements_client.get("/api/v1/agreements").json() == []
    assert "No agreement has been approved" in agreements_client.get("/agreements").text
    assert "No taxonomy has been approved" in agreements_client.get("/offences").text
