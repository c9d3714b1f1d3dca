"""Requests and cases over HTTP: 201/200 paths, 409 with allowed_next, 422 with reasons or fields, 404 for
unknown or invisible ids, never a 500, and nothing half-written when a call fails."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from comity.assistance_requests.model import AssistanceRequest, RequestStep
from comity.audit.model import AuditEvent
from comity.cases.model import Case, CaseOffence, CaseTarget
from integration.cases.world import World
from support import bearer, page_login, post_form, problem_fields

API = "/api/v1"


def _counts(world: World) -> tuple[int, ...]:
    with world.container.transaction() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Case, CaseOffence, CaseTarget, AssistanceRequest, RequestStep, AuditEvent)
        )


def _open(client: TestClient, world: World) -> dict[str, str]:
    h = bearer(world.tokens["officer"])
    r = client.post(
        f"{API}/cases", json={"title": "Fake watches", "jurisdictional_links": ["targeting"]}, headers=h
    )
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    r = client.post(
        f"{API}/cases/{case_id}/offences",
        json={"taxonomy_code": "counterfeit_goods", "statute": "IE-TMA-1996-s92"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    offence_id = r.json()["offences"][0]["id"]
    r = client.post(
        f"{API}/cases/{case_id}/targets",
        json={"kind": "seller_account", "identifier": "seller-4711"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    return {"case": case_id, "offence": offence_id, "target": r.json()["targets"][0]["id"]}


def _request_body(world: World, ids: dict[str, str], **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "offence_id": ids["offence"],
        "target_ids": [ids["target"]],
        "agreement_id": "eev-eu5",
        "to_state": "DE",
        "measure": "production",
        "data_category": "content",
        "time_from": "2026-06-01T00:00:00Z",
        "time_to": "2026-08-31T00:00:00Z",
        "addressee_organisation_id": world.platform_org,
    }
    body.update(over)
    return body


def test_full_request_over_http(client: TestClient, world: World) -> None:
    ids = _open(client, world)
    officer, judge, de, platform = (
        bearer(world.tokens[n]) for n in ("officer", "judge", "de_officer", "platform")
    )
    r = client.post(f"{API}/cases/{ids['case']}/requests", json=_request_body(world, ids), headers=officer)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["allowed_next"] == ["submit", "issue", "withdraw"]
    for path, headers, status in (
        ("submit", officer, "awaiting_validation"),
        ("validate", judge, "issued"),
        ("transmit", officer, "executing_state_reviewing"),
        ("accept", de, "accepted"),
        ("delivered", platform, "delivered"),
        ("close", officer, "closed"),
    ):
        r = client.post(
            f"{API}/requests/{rid}/{path}",
            json={} if path in ("submit", "delivered") else None,
            headers=headers,
        )
        assert r.status_code == 200, (path, r.text)
        assert r.json()["status"] == status
    body = client.get(f"{API}/requests/{rid}", headers=officer).json()
    assert [s["action"] for s in body["steps"]] == [
        "create",
        "submit",
        "validate",
        "transmit",
        "accept",
        "deliver",
        "close",
    ]
    assert all(s["decision"]["agreement"]["id"] == "eev-eu5" for s in body["steps"])
    assert body["notify_executing_state"]
    assert body["review_ends_at"]
    assert body["due_at"]
    # the executing state, the addressee and the validator see it; an unrelated officer does not
    for name in ("de_officer", "platform", "judge"):
        assert client.get(f"{API}/requests/{rid}", headers=bearer(world.tokens[name])).status_code == 200
    assert client.get(f"{API}/requests/{rid}", headers=bearer(world.tokens["fr_officer"])).status_code == 404
    assert rid not in [
        x["id"]
        for x in client.get(f"{API}/requests", headers=bearer(world.tokens["fr_officer"])).json()["items"]
    ]
    timeline = client.get(f"{API}/cases/{ids['case']}/timeline", headers=officer).json()
    assert any(e["tag"] == "requests:request:transmit" for e in timeline)


def test_illegal_transition_is_409_with_allowed_next_and_writes_nothing(
    client: TestClient, world: World
) -> None:
    ids = _open(client, world)
    officer = bearer(world.tokens["officer"])
    rid = client.post(
        f"{API}/cases/{ids['case']}/requests", json=_request_body(world, ids), headers=officer
    ).json()["id"]
    before = _counts(world)
    r = client.post(f"{API}/requests/{rid}/close", headers=officer)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["allowed_next"] == ["submit", "issue", "withdraw"]
    assert r.json()["current_state"] == "draft"
    assert _counts(world) == before


def test_policy_refusal_is_422_with_reasons_and_writes_nothing(client: TestClient, world: World) -> None:
    ids = _open(client, world)
    officer = bearer(world.tokens["officer"])
    rid = client.post(
        f"{API}/cases/{ids['case']}/requests", json=_request_body(world, ids), headers=officer
    ).json()["id"]
    before = _counts(world)
    r = client.post(f"{API}/requests/{rid}/issue", headers=officer)  # police may not issue a content order
    assert r.status_code == 422
    assert any(reason["rule"] == "eev.issuer" for reason in r.json()["reasons"])
    assert r.json()["decision"]["allowed"] is False
    assert _counts(world) == before
    # a payment freeze under e-Evidence: the engine refuses at drafting
    r = client.post(
        f"{API}/cases/{ids['case']}/requests",
        json=_request_body(
            world,
            ids,
            measure="payment_freeze",
            data_category=None,
            time_from=None,
            time_to=None,
            addressee_organisation_id=None,
        ),
        headers=officer,
    )
    assert r.status_code == 422, r.text
    assert r.json()["reasons"]
    assert _counts(world) == before


def test_missing_legal_elements_are_422_with_paths(client: TestClient, world: World) -> None:
    ids = _open(client, world)
    officer = bearer(world.tokens["officer"])
    before = _counts(world)
    r = client.post(
        f"{API}/cases/{ids['case']}/requests",
        json=_request_body(world, ids, time_from=None, time_to=None, data_category=None),
        headers=officer,
    )
    assert r.status_code == 422
    assert r.json()["type"].endswith("missing-legal-element")
    assert sorted(problem_fields(r.json())) == ["data_category", "time_from", "time_to"]
    r = client.post(
        f"{API}/cases/{ids['case']}/offences",
        json={"taxonomy_code": "no_such", "statute": "x"},
        headers=officer,
    )
    assert r.status_code == 422
    assert problem_fields(r.json()) == ["taxonomy_code"]
    r = client.post(f"{API}/cases", json={"jurisdictional_links": []}, headers=officer)
    assert r.status_code == 422
    assert _counts(world) == before


def test_unknown_and_invisible_ids_are_404_never_500(client: TestClient, world: World) -> None:
    ids = _open(client, world)
    officer = bearer(world.tokens["officer"])
    other = bearer(world.tokens["other_officer"])
    for path in ("", "/timeline", "/deadlines"):
        assert client.get(f"{API}/cases/case_nope{path}", headers=officer).status_code == 404
        assert client.get(f"{API}/cases/{ids['case']}{path}", headers=other).status_code == 404
    assert (
        client.post(
            f"{API}/cases/{ids['case']}/targets",
            json={"kind": "domain", "identifier": "x.example"},
            headers=other,
        ).status_code
        == 404
    )
    for action in (
        "submit",
        "validate",
        "issue",
        "transmit",
        "accept",
        "ask-clarification",
        "clarify",
        "preserved",
        "delivered",
        "extend",
        "withdraw",
        "close",
        "reject-validation",
        "confirm-production",
    ):
        r = client.post(f"{API}/requests/req_nope/{action}", json={}, headers=officer)
        assert r.status_code == 404, (action, r.status_code)
    r = client.post(f"{API}/requests/req_nope/grounds", json={"grounds": ["ne_bis_in_idem"]}, headers=officer)
    assert r.status_code == 404
    r = client.post(
        f"{API}/requests/req_nope/not-executed", json={"reasons": ["data_not_held"]}, headers=officer
    )
    assert r.status_code == 404
    # garbage bodies are 422, never 500
    for body in ("not json", "[]", '{"grounds": ["made_up"]}'):
        r = client.post(
            f"{API}/requests/req_nope/grounds",
            content=body,
            headers={**officer, "content-type": "application/json"},
        )
        assert r.status_code == 422
    r = client.post(f"{API}/cases/{ids['case']}/requests", json={"offence_id": "x"}, headers=officer)
    assert r.status_code == 422


def test_roles_are_enforced(client: TestClient, world: World) -> None:
    ids = _open(client, world)
    officer, judge, platform = (bearer(world.tokens[n]) for n in ("officer", "judge", "platform"))
    assert (
        client.post(
            f"{API}/cases", json={"title": "x", "jurisdictional_links": ["targeting"]}, headers=judge
        ).status_code
        == 403
    )
    assert client.get(f"{API}/cases", headers=platform).status_code == 403
    rid = client.post(
        f"{API}/cases/{ids['case']}/requests", json=_request_body(world, ids), headers=officer
    ).json()["id"]
    client.post(f"{API}/requests/{rid}/submit", json={}, headers=officer)
    r = client.post(f"{API}/requests/{rid}/withdraw", json={}, headers=bearer(world.tokens["judge"]))
    assert r.status_code == 403  # the validator sees it but does not act for the issuing side
    r = client.post(f"{API}/requests/{rid}/validate", headers=officer)  # the author is no validator
    assert r.status_code == 403
    r = client.post(f"{API}/requests/{rid}/validate", headers=bearer(world.tokens["prosecutor"]))
    assert r.status_code == 422  # content data needs a judge (Art. 4(2)): the engine says why
    assert any(x["rule"] == "eev.issuer" for x in r.json()["reasons"])


def test_login_never_redirects_off_site(client: TestClient, world: World) -> None:
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        r = page_login(client, world.tokens["officer"], target)
        assert r.status_code == 303
        assert r.headers["location"] == "/cases"
    assert client.get("/cases", follow_redirects=False).status_code == 200  # signed in by the cookie
    assert post_form(client, "/cases", "/logout", {}, follow_redirects=False).status_code == 303
    assert client.get("/cases", follow_redirects=False).status_code == 303
