"""The measures API: the whole path over HTTP, and bad input answered precisely (409 with allowed next
states, 422 naming the missing legal elements, 404), never a 500 and never a half-written record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from comity.audit.model import AuditEvent
from comity.measures.model import Measure
from comity.notices.model import Notice
from comity.outbox.model import OutboxMessage
from integration.measures.world import World
from support import bearer, problem_fields


def _counts(world: World) -> tuple[int, int, int, int]:
    with world.tx() as session:
        return (
            session.scalar(select(func.count()).select_from(Measure)) or 0,
            session.scalar(select(func.count()).select_from(Notice)) or 0,
            session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def _post(client: TestClient, world: World, who: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"/api/v1{path}", json=body or {}, headers=bearer(world.tokens[who]))


def test_the_ladder_over_http_with_platform_pickup_and_answer(client: TestClient, world: World) -> None:
    r = _post(client, world, "officer", "/measures", world.body())
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    assert r.json()["allowed_next"] == ["edit", "submit", "withdraw"]
    r = _post(client, world, "officer", f"/measures/{mid}/submit")
    assert r.status_code == 200
    assert r.json()["status"] == "authorised"
    assert r.json()["policy_decision"]["allowed"] is True
    # Issuing before the prior notice is an illegal transition naming what is allowed.
    r = _post(client, world, "officer", f"/measures/{mid}/issue")
    assert r.status_code == 409
    assert r.json()["allowed_next"] == ["announce", "withdraw"]
    assert _post(client, world, "officer", f"/measures/{mid}/announce").status_code == 200
    r = _post(client, world, "officer", f"/measures/{mid}/issue")
    assert r.status_code == 409
    assert "reply" in r.json()["detail"]
    world.clock.advance(timedelta(days=3, minutes=1))
    r = _post(client, world, "officer", f"/measures/{mid}/issue")
    assert r.status_code == 200, r.text
    # The platform finds the signed order and the notices in its inbox, and acknowledges them.
    inbox = client.get("/api/v1/platform/inbox", headers=bearer(world.tokens["platform"])).json()
    assert sorted(m["kind"] for m in inbox) == ["notice.measure_notice", "notice.prior_notice", "order.apply"]
    for message in inbox:
        assert (
            _post(client, world, "platform", f"/platform/inbox/{message['message_id']}/ack").status_code
            == 200
        )
    # Another platform sees nothing of it.
    assert client.get("/api/v1/platform/inbox", headers=bearer(world.tokens["other"])).json() == []
    assert client.get(f"/api/v1/measures/{mid}", headers=bearer(world.tokens["other"])).status_code == 404
    # Complying with a voluntary request owes a statement of reasons (DSA Art. 17).
    r = _post(client, world, "platform", f"/measures/{mid}/answers", {"answer": "complied"})
    assert r.status_code == 422
    assert problem_fields(r.json()) == ["statement_of_reasons"]
    sor = {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "Terms of service s. 4.2 (counterfeit goods)",
        "incompatible_content_explanation": "The listing offers imitation branded trainers.",
        "content_type": ["CONTENT_TYPE_PRODUCT"],
        "category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "category_specification": ["KEYWORD_TRADEMARK_INFRINGEMENT"],
        "territorial_scope": ["IE"],
        "content_date": "2026-08-20",
        "application_date": "2026-09-05",
        "decision_facts": "Removed after a voluntary request of a police authority.",
        "source_type": "SOURCE_TYPE_OTHER_NOTIFICATION",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "puid": "listing-123",
    }
    leaky = {**sor, "decision_facts": "Seller seller-77331 was told at seller@example.com"}
    r = _post(
        client,
        world,
        "platform",
        f"/measures/{mid}/answers",
        {"answer": "complied", "statement_of_reasons": leaky},
    )
    assert r.status_code == 422
    assert problem_fields(r.json()) == ["statement_of_reasons.decision_facts"]
    r = _post(
        client,
        world,
        "platform",
        f"/measures/{mid}/answers",
        {"answer": "complied", "statement_of_reasons": sor},
    )
    assert r.status_code == 201, r.text
    published = client.get("/api/v1/statements-of-reasons").json()
    assert len(published) == 1
    assert "puid" not in published[0]["statement"]
    assert published[0]["statement"]["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    # Complied is final.
    r = _post(
        client, world, "platform", f"/measures/{mid}/answers", {"answer": "contested", "explanation": "x"}
    )
    assert r.status_code == 409
    assert r.json()["allowed_next"] == []


def test_missing_legal_elements_are_named_and_nothing_is_written(client: TestClient, world: World) -> None:
    body = world.body(
        legal_basis=None,
        justification=None,
        proportionality={"harm": "x"},
        territorial_scope=[],
        ends_at=None,
    )
    r = _post(client, world, "officer", "/measures", body)
    assert r.status_code == 201
    mid = r.json()["id"]
    before = _counts(world)
    r = _post(client, world, "officer", f"/measures/{mid}/submit")
    assert r.status_code == 422
    assert r.json()["type"].endswith("missing-legal-element")
    assert problem_fields(r.json()) == [
        "legal_basis",
        "justification",
        "proportionality.offence_severity",
        "proportionality.milder_alternatives",
        "territorial_scope",
        "ends_at",
    ]
    assert _counts(world) == before
    assert (
        client.get(f"/api/v1/measures/{mid}", headers=bearer(world.tokens["officer"])).json()["status"]
        == "draft"
    )


def test_unknown_ids_are_404_and_wrong_roles_403(client: TestClient, world: World) -> None:
    for path in ("/measures/msr_nope/submit", "/measures/msr_nope/issue", "/measures/msr_nope/announce"):
        assert _post(client, world, "officer", path).status_code == 404
    assert _post(client, world, "judge", "/measures/msr_nope/authorise", {"note": "x"}).status_code == 404
    assert client.get("/api/v1/notices/ntc_nope", headers=bearer(world.tokens["officer"])).status_code == 404
    assert _post(client, world, "platform", "/platform/inbox/msg_nope/ack").status_code == 404
    r = _post(client, world, "officer", "/measures", world.body(case_id="case_nope"))
    assert r.status_code == 404
    assert _post(client, world, "platform", "/measures", world.body()).status_code == 403


def test_judge_authorises_a_skip_then_refusal_and_illegal_steps(client: TestClient, world: World) -> None:
    now = world.clock.now()
    body = world.body(
        kind="removal_order",
        provisional=True,
        urgent=True,
        ends_at=None,
        review_at=(now + timedelta(days=5)).isoformat(),
        legal_basis="Regulation (EU) 2022/2065 Art. 9",
        prior_notice_skip_ground="would_defeat",
        prior_notice_skip_reason="the stock would be moved",
    )
    mid = _post(client, world, "officer", "/measures", body).json()["id"]
    r = _post(client, world, "officer", f"/measures/{mid}/submit")
    assert r.json()["status"] == "awaiting_authorisation"
    # Officers cannot authorise; judges cannot issue.
    assert _post(client, world, "officer", f"/measures/{mid}/authorise", {"note": "x"}).status_code == 403
    r = _post(
        client,
        world,
        "judge",
        f"/measures/{mid}/authorise",
        {"note": "urgent", "approve_prior_notice_skip": True},
    )
    assert r.status_code == 200
    assert r.json()["prior_notice_skip_approved"] is True
    r = _post(client, world, "judge", f"/measures/{mid}/refuse", {"reason": "late"})
    assert r.status_code == 409
    assert r.json()["allowed_next"] == ["issue", "withdraw"]
    r = _post(client, world, "officer", f"/measures/{mid}/issue")
    assert r.status_code == 200, r.text
    r = _post(
        client,
        world,
        "judge",
        f"/measures/{mid}/renew",
        {"review_deadline": (now + timedelta(days=60)).isoformat(), "reason": "x"},
    )
    assert r.status_code == 422
    assert problem_fields(r.json()) == ["review_deadline"]
    r = _post(client, world, "judge", f"/measures/{mid}/confirm", {"reason": "reviewed: upheld"})
    assert r.status_code == 200
    assert r.json()["step"] == "judicial_order"
    r = _post(client, world, "judge", f"/measures/{mid}/confirm", {"reason": "again"})
    assert r.status_code == 409
    order = client.get(f"/api/v1/measures/{mid}/order", headers=bearer(world.tokens["platform"]))
    assert order.status_code == 200
    assert order.headers["content-type"].startswith("application/vnd.comity.order")
    r = _post(client, world, "officer", f"/measures/{mid}/lift", {"reason": "seller removed the listings"})
    assert r.status_code == 200
    assert r.json()["status"] == "lifted"
    r = _post(client, world, "officer", f"/measures/{mid}/lift", {"reason": "again"})
    assert r.status_code == 409
    assert r.json()["allowed_next"] == []


def test_malformed_bodies_are_422_never_500(client: TestClient, world: World) -> None:
    for body in (
        {},
        {"kind": "nonsense"},
        world.body(territorial_scope="IE"),
        world.body(starts_at="yesterday"),
        world.body(unexpected=1),
        world.body(starts_at="2026-09-01T08:00:00"),
    ):
        r = _post(client, world, "officer", "/measures", body)
        assert r.status_code == 422, (body, r.text)
    r = _post(
        client, world, "officer", "/measures", world.body(kind="removal_order", addressee="org_ie_court")
    )
    assert r.status_code == 422
    assert problem_fields(r.json()) == ["addressee"]
