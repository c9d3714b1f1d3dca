"""The HTTP contract: health, OpenAPI, problem+json everywhere, authentication declared on every route."""

from __future__ import annotations

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from comity.kinds import OrganisationKind, Role
from comity.web.deps import authenticated, public
from support import bearer, problem_fields


def test_healthz_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert any(p.startswith("/api/v1/") for p in spec["paths"])


def test_every_route_declares_who_may_call_it(app) -> None:  # type: ignore[no-untyped-def]
    def calls(dependant) -> set[object]:  # type: ignore[no-untyped-def]
        found = {dependant.call}
        for sub in dependant.dependencies:
            found |= calls(sub)
        return found

    undeclared = []
    for route in app.routes:
        if not isinstance(route, APIRoute) or route.path in {"/healthz", "/"}:
            continue
        deps = calls(route.dependant)
        if public not in deps and authenticated not in deps:
            undeclared.append(route.path)
    assert undeclared == []


def test_api_needs_a_token_and_answers_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 401
    assert body["type"].endswith("/unauthenticated")
    assert client.get("/api/v1/me", headers=bearer("cmt_forged")).status_code == 401


def test_whoami_reports_role_and_authority_type(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    token = make_user(Role.JUDGE, jurisdiction="DE")
    me = client.get("/api/v1/me", headers=bearer(token)).json()
    assert (me["role"], me["authority_type"], me["jurisdiction"]) == ("judge", "judge", "DE")


def test_roles_are_enforced(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    response = client.post(
        "/api/v1/organisations",
        headers=bearer(officer),
        json={"name": "X", "kind": "platform", "jurisdiction": "IE"},
    )
    assert response.status_code == 403
    assert "administrator" in response.json()["detail"]


def test_bad_input_is_422_naming_the_field(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMINISTRATOR)
    response = client.post(
        "/api/v1/organisations",
        headers=bearer(admin),
        json={"name": "X", "kind": "platform", "jurisdiction": "ireland"},
    )
    assert response.status_code == 422
    assert problem_fields(response.json()) == ["body.jurisdiction"]
    response = client.post(
        "/api/v1/organisations",
        headers=bearer(admin),
        json={"name": "X", "kind": "authority", "jurisdiction": "IE"},
    )
    assert response.status_code == 422
    assert problem_fields(response.json()) == ["authority_type"]
    response = client.post(
        "/api/v1/organisations",
        headers={**bearer(admin), "content-type": "application/json"},
        content=b"{not json",
    )
    assert response.status_code == 422


def test_unknown_route_is_problem_404(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_admin_creates_org_and_user_with_a_token(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMINISTRATOR)
    org = client.post(
        "/api/v1/organisations",
        headers=bearer(admin),
        json={"name": "Bazaar Ltd", "kind": OrganisationKind.PLATFORM.value, "jurisdiction": "IE"},
    )
    assert org.status_code == 201
    created = client.post(
        "/api/v1/users",
        headers=bearer(admin),
        json={"username": "bazaar-ops", "role": "platform", "organisation_id": org.json()["id"]},
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert client.get("/api/v1/me", headers=bearer(token)).json()["organisation_kind"] == "platform"


def test_audit_trail_for_auditors_only(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    auditor = make_user(Role.AUDITOR)
    assert client.get("/api/v1/audit/events", headers=bearer(officer)).status_code == 403
    events = client.get("/api/v1/audit/events", headers=bearer(auditor)).json()["items"]
    assert {e["tag"] for e in events} >= {"identity:organisation:created", "identity:user:created"}
