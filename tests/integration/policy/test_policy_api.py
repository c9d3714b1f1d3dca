"""POST /api/v1/policy/decisions over the app: authentication, the decision JSON, problems for bad input.

The first tests stand a fixed policy context in for the node's (so they exercise the route alone); the last
one installs the bundled demo documents through governance and asks the real context.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

import comity.policy.api as policy_api
from comity.agreements.service import install_bundled
from comity.kinds import Regime
from comity.web.container import Container
from support import bearer, problem_fields
from unit.policy.policy_fixtures import OFFENCE, agreement, context

URL = "/api/v1/policy/decisions"
BODY: dict[str, Any] = {
    "from_state": "IE",
    "to_state": "DE",
    "offence": OFFENCE,
    "measure": "production",
    "data": "content",
    "issuer": "judge",
    "jurisdictional_link": "victims_in_territory",
    "received_at": "2026-09-04T16:30:00Z",
}


@pytest.fixture
def fixed_context(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = context([agreement(Regime.E_EVIDENCE, agreement_id="eev-ie-de")])
    monkeypatch.setattr(policy_api, "current_context", lambda session: ctx)


@pytest.mark.usefixtures("fixed_context")
def test_any_authenticated_role_gets_a_decision(client: TestClient, make_user: Any) -> None:
    response = client.post(URL, json=BODY, headers=bearer(make_user()))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["allowed"] is True
    assert body["agreement"] == {"id": "eev-ie-de", "version": 1}
    assert body["notify_executing_state"] is True
    assert body["deadline"] == "P10D"
    assert body["deadline_at"] == "2026-09-14T22:00:00Z"
    assert body["statute"]["id"] == "IE-counterfeit_goods-a"
    assert body["choices"][0].startswith("agreement: eev-ie-de v1")


@pytest.mark.usefixtures("fixed_context")
def test_anonymous_callers_are_refused(client: TestClient) -> None:
    assert client.post(URL, json=BODY).status_code == 401


@pytest.mark.usefixtures("fixed_context")
def test_unknown_code_is_a_404_problem(client: TestClient, make_user: Any) -> None:
    response = client.post(URL, json={**BODY, "offence": "teleportation"}, headers=bearer(make_user()))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "teleportation" in response.json()["detail"]


@pytest.mark.usefixtures("fixed_context")
def test_bad_input_is_a_422_naming_the_field(client: TestClient, make_user: Any) -> None:
    response = client.post(URL, json={**BODY, "measure": "arrest"}, headers=bearer(make_user()))
    assert response.status_code == 422
    assert problem_fields(response.json()) == ["body.measure"]


def test_decision_against_the_installed_demo_documents(
    client: TestClient, make_user: Any, container: Container
) -> None:
    with container.transaction() as session:
        install_bundled(
            session, clock=container.clock, proposer="system:proposer", approver="system:approver"
        )
    body = {**BODY, "at": "2026-09-04T16:00:00Z"}
    response = client.post(URL, json=body, headers=bearer(make_user()))
    assert response.status_code == 200, response.text
    decision = response.json()
    assert decision["regime"] == "e_evidence"
    assert decision["allowed"] is True, [r for r in decision["reasons"] if not r["satisfied"]]
