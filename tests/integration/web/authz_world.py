"""The world the authorisation matrix probes: one IE node with a case of every kind of object, built
through the API as people would build it, and one caller per kind of person.

The case ``C`` (led by an IE officer, with an IE investigator and a DE secondee of a joint team) has a
target, an offence, an e-Evidence production request ``R`` to DE (validated by an IE judge, transmitted,
addressed to a DE platform), a provisional removal order ``M`` to an IE platform (authorised by the IE
judge, issued, answered, its notice written), an evidence item ``E`` and a legal hold ``H`` on it.

Personal data carries markers so a probe can tell when a body shows what its reader may not see.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from comity.clock import FixedClock
from comity.demo.setup import set_up
from comity.identity import service as identity
from comity.identity.model import Organisation
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.kinds import OrganisationKind, Role
from comity.signing.keys import KeyPurpose
from comity.translog import service as translog
from comity.web.container import Container
from support import bearer

API = "/api/v1"

#: Personal data markers: where each may legitimately appear is the matrix's business.
TARGET_MARKER = "seller-marker-4711"
SOURCE_MARKER = "evsrc-marker"
RECIPIENT_MARKER = "person.marker@example.invalid"
JUSTIFICATION_MARKER = "JUSTIFICATION-MARKER"
MARKERS = (TARGET_MARKER, SOURCE_MARKER, RECIPIENT_MARKER, JUSTIFICATION_MARKER)

#: Callers: name -> (role, organisation id). Organisations come from the demo set-up, plus DE oversight.
PEOPLE: dict[str, tuple[Role, str]] = {
    "lead": (Role.OFFICER, "org_ie_police"),
    "investigator_ie": (Role.OFFICER, "org_ie_police"),
    "member_de": (Role.OFFICER, "org_de_police"),
    "officer_ie": (Role.OFFICER, "org_ie_police"),
    "officer_de": (Role.OFFICER, "org_de_police"),
    "judge_ie": (Role.JUDGE, "org_ie_court"),
    "judge_de": (Role.JUDGE, "org_de_court"),
    "platform_measure": (Role.PLATFORM, "bazaar-ltd"),
    "platform_request": (Role.PLATFORM, "marktplatz-gmbh"),
    "platform_other": (Role.PLATFORM, "other-platform"),
    "auditor_ie": (Role.AUDITOR, "org_oversight_ie"),
    "auditor_de": (Role.AUDITOR, "org_oversight_de"),
    "admin_node": (Role.ADMINISTRATOR, "org_oversight_ie"),
    "admin_de": (Role.ADMINISTRATOR, "org_oversight_de"),
    "admin_platform": (Role.ADMINISTRATOR, "bazaar-ltd"),
}
ANONYMOUS = "anonymous"
PROFILES = (ANONYMOUS, *PEOPLE)


@dataclass
class AuthzWorld:
    container: Container
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def role(self, profile: str) -> Role | None:
        return None if profile == ANONYMOUS else PEOPLE[profile][0]

    def jurisdiction(self, profile: str) -> str | None:
        if profile == ANONYMOUS:
            return None
        return "DE" if PEOPLE[profile][1] in ("org_de_police", "org_de_court", "org_oversight_de") else "IE"

    def headers(self, profile: str) -> dict[str, str]:
        return {} if profile == ANONYMOUS else bearer(self.tokens[profile])


def _ok(response: Any, what: str) -> Any:
    assert response.status_code < 300, (what, response.status_code, response.text)
    return response.json() if response.content else None


def build(container: Container, client: TestClient) -> AuthzWorld:
    """Every object and caller of the matrix (through the API where people would act)."""
    clock = container.clock
    assert isinstance(clock, FixedClock)
    keystore = Keystore.for_settings(container.settings)
    world = AuthzWorld(container=container)
    with container.transaction() as session:
        set_up(session, clock=clock, keystore=keystore)
        for org_id, kind in (("org_oversight_de", OrganisationKind.OVERSIGHT), ("other-platform", None)):
            if session.get(Organisation, org_id) is None:
                identity.create_organisation(
                    session,
                    clock=clock,
                    actor=SYSTEM_ACTOR,
                    name=org_id,
                    kind=kind or OrganisationKind.PLATFORM,
                    jurisdiction="DE" if kind else "IE",
                    org_id=org_id,
                )
        for name, (role, org) in PEOPLE.items():
            issued = identity.add_user(
                session,
                clock=clock,
                actor=SYSTEM_ACTOR,
                username=f"mx-{name}",
                role=role,
                organisation_id=org,
            )
            world.tokens[name] = issued.token
        # A key the node administrator may revoke and rotate without touching the node's working keys.
        spare = keys.register_key(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            keystore=keystore,
            jurisdiction="IE",
            purpose=KeyPurpose.NODE_SIGNING,
            label="matrix spare",
        )
        world.ids["keyid"] = spare.keyid
    lead = world.headers("lead")
    now = clock.now()

    case = _ok(
        client.post(
            f"{API}/cases",
            json={"title": "Fake trainers", "jurisdictional_links": ["targeting"]},
            headers=lead,
        ),
        "case",
    )
    case_id = world.ids["case_id"] = case["id"]
    offence = _ok(
        client.post(
            f"{API}/cases/{case_id}/offences",
            json={"taxonomy_code": "counterfeit_goods", "statute": "IE-TMA-1996-s92"},
            headers=lead,
        ),
        "offence",
    )
    world.ids["offence_id"] = offence["offences"][0]["id"]
    target = _ok(
        client.post(
            f"{API}/cases/{case_id}/targets",
            json={"kind": "seller_account", "identifier": TARGET_MARKER, "platform": "bazaar-ltd"},
            headers=lead,
        ),
        "target",
    )
    world.ids["target_id"] = target["targets"][0]["id"]
    _ok(
        client.post(
            f"{API}/cases/{case_id}/members",
            json={"username": "mx-investigator_ie", "role": "investigator"},
            headers=lead,
        ),
        "investigator",
    )
    team = _ok(
        client.post(
            f"{API}/cases/{case_id}/teams",
            json={
                "purpose": "joint investigation of the trainers ring",
                "parties": ["IE", "DE"],
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(days=180)).isoformat(),
            },
            headers=lead,
        ),
        "team",
    )
    world.ids["team_id"] = team["teams"][0]["id"]
    _ok(
        client.post(
            f"{API}/cases/{case_id}/teams/{world.ids['team_id']}/secondees",
            json={
                "username": "mx-member_de",
                "undertaking_sha256": hashlib.sha256(b"undertaking").hexdigest(),
                "undertaking_signed_at": now.isoformat(),
            },
            headers=lead,
        ),
        "secondee",
    )

    # R: a production request to DE, validated by the IE judge, transmitted.
    request = _ok(
        client.post(
            f"{API}/cases/{case_id}/requests",
            json={
                "offence_id": world.ids["offence_id"],
                "target_ids": [world.ids["target_id"]],
                "agreement_id": "eev-eu5",
                "to_state": "DE",
                "measure": "production",
                "data_category": "content",
                "time_from": "2026-06-01T00:00:00Z",
                "time_to": "2026-08-31T00:00:00Z",
                "addressee_organisation_id": "marktplatz-gmbh",
            },
            headers=lead,
        ),
        "request",
    )
    request_id = world.ids["request_id"] = request["id"]
    _ok(client.post(f"{API}/requests/{request_id}/submit", json={}, headers=lead), "submit")
    _ok(client.post(f"{API}/requests/{request_id}/validate", headers=world.headers("judge_ie")), "validate")
    _ok(client.post(f"{API}/requests/{request_id}/transmit", headers=lead), "transmit")

    # M: a provisional removal order to the IE platform, prior notice skipped with the judge's leave.
    measure = _ok(
        client.post(
            f"{API}/measures",
            json={
                "case_id": case_id,
                "kind": "removal_order",
                "addressee": "bazaar-ltd",
                "offence": "counterfeit_goods",
                "executing_jurisdiction": "IE",
                "legal_basis": "Regulation (EU) 2022/2065 Art. 9; Trade Marks Act 1996 s. 14",
                "justification": f"Counterfeit trainers confirmed by test purchase ({JUSTIFICATION_MARKER}).",
                "proportionality": {
                    "offence_severity": "medium: commercial-scale counterfeiting",
                    "harm": "consumers deceived",
                    "milder_alternatives": ["advisory notice (ignored)"],
                },
                "escalation_reason": "the voluntary request was refused by the platform",
                "territorial_scope": ["IE"],
                "starts_at": now.isoformat(),
                "review_at": (now + timedelta(days=7)).isoformat(),
                "target_id": world.ids["target_id"],
                "provisional": True,
                "urgent": True,
                "prior_notice_skip_ground": "would_defeat",
                "prior_notice_skip_reason": "the seller would move the stock to a new account",
                "notice_channel": "email",
                "notice_email": RECIPIENT_MARKER,
            },
            headers=lead,
        ),
        "measure",
    )
    measure_id = world.ids["measure_id"] = measure["id"]
    _ok(client.post(f"{API}/measures/{measure_id}/submit", headers=lead), "submit measure")
    _ok(
        client.post(
            f"{API}/measures/{measure_id}/authorise",
            json={"note": "necessary and proportionate", "approve_prior_notice_skip": True},
            headers=world.headers("judge_ie"),
        ),
        "authorise",
    )
    _ok(client.post(f"{API}/measures/{measure_id}/issue", headers=lead), "issue")
    _ok(
        client.post(
            f"{API}/measures/{measure_id}/answers",
            json={"answer": "received"},
            headers=world.headers("platform_measure"),
        ),
        "answer",
    )
    notices = _ok(client.get(f"{API}/notices", params={"measure_id": measure_id}, headers=lead), "notices")
    world.ids["notice_id"] = notices[0]["id"]
    inbox = _ok(client.get(f"{API}/platform/inbox", headers=world.headers("platform_measure")), "inbox")
    world.ids["message_id"] = inbox[0]["message_id"]

    # E and H: an evidence item of the case, held by the IE judge.
    evidence = _ok(
        client.post(
            f"{API}/evidence",
            params={
                "kind": "screenshot",
                "case_id": case_id,
                "data_category": "content",
                "tlp": "amber",
                "legal_authority": "IE-WARRANT-2026-17",
                "retention_until": (now + timedelta(days=365)).isoformat(),
                "source": f"http://{SOURCE_MARKER}.example/listing/42",
            },
            content=b"\x89PNG capture",
            headers={**lead, "Content-Type": "image/png"},
        ),
        "evidence",
    )
    world.ids["evidence_id"] = evidence["id"]
    hold = _ok(
        client.post(
            f"{API}/legal-holds",
            json={"evidence_id": evidence["id"], "reason": "pending challenge"},
            headers=world.headers("judge_ie"),
        ),
        "hold",
    )
    world.ids["hold_id"] = hold["id"]
    proposals = _ok(
        client.get(f"{API}/governance/proposals", headers=world.headers("auditor_ie")), "proposals"
    )
    world.ids["document_id"] = proposals[0]["id"]
    with container.transaction() as session:  # the log integrates what happened, with a checkpoint
        signer = translog.node_log_signer(session, settings=container.settings, clock=clock)
        translog.integrate_pending(session, clock=clock, signer=signer)
    return world
