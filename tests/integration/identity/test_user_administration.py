"""Who administers users: the node's administrators in any organisation, others only in their own, and
never in a role the organisation's kind does not allow."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from comity.audit.model import AuditEvent
from comity.cli.main import app as cli
from comity.kinds import OrganisationKind, Role
from comity.web.container import Container
from support import bearer


def _orgs(client: TestClient, token: str) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in client.get("/api/v1/organisations", headers=bearer(token)).json()}


def _me(client: TestClient, token: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/api/v1/me", headers=bearer(token)).json()
    return body


def test_a_platform_administrator_cannot_create_a_judge(client: TestClient, make_user: Any) -> None:
    platform_admin = make_user(Role.ADMINISTRATOR, kind=OrganisationKind.PLATFORM)
    court_judge = make_user(Role.JUDGE)
    platform_org = _me(client, platform_admin)["organisation_id"]
    court = _me(client, court_judge)["organisation_id"]
    judge = {"username": "fake-judge", "role": "judge", "organisation_id": court}
    refused = client.post("/api/v1/users", json=judge, headers=bearer(platform_admin))
    assert refused.status_code == 403
    assert "only the node's administrators" in refused.json()["detail"]
    # In its own organisation, only the roles a platform has: no judge there either.
    own_judge = {**judge, "organisation_id": platform_org}
    assert client.post("/api/v1/users", json=own_judge, headers=bearer(platform_admin)).status_code == 422
    own = {"username": "platform-ops", "role": "platform", "organisation_id": platform_org}
    created = client.post("/api/v1/users", json=own, headers=bearer(platform_admin))
    assert created.status_code == 201, created.text
    # Nor does it register organisations (an authority it could then staff).
    org = {"name": "Fake court", "kind": "authority", "jurisdiction": "IE", "authority_type": "judge"}
    assert client.post("/api/v1/organisations", json=org, headers=bearer(platform_admin)).status_code == 403
    assert "fake-judge" not in str(_orgs(client, platform_admin))


def test_the_node_administrators_manage_every_organisation(client: TestClient, make_user: Any) -> None:
    node_admin = make_user(Role.ADMINISTRATOR)  # of the organisation that runs the node
    police_admin = make_user(Role.ADMINISTRATOR, operator=False)
    court = _me(client, make_user(Role.JUDGE))["organisation_id"]
    assert _me(client, node_admin)["operates_node"] is True
    judge = {"username": "new-judge", "role": "judge", "organisation_id": court}
    assert client.post("/api/v1/users", json=judge, headers=bearer(police_admin)).status_code == 403
    assert client.post("/api/v1/users", json=judge, headers=bearer(node_admin)).status_code == 201
    org = {"name": "Customs", "kind": "authority", "jurisdiction": "IE", "authority_type": "customs"}
    assert client.post("/api/v1/organisations", json=org, headers=bearer(police_admin)).status_code == 403
    assert client.post("/api/v1/organisations", json=org, headers=bearer(node_admin)).status_code == 201


def test_the_console_marks_the_organisation_that_runs_the_node(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMITY_HOME", str(container.settings.home))
    monkeypatch.setenv("COMITY_DATABASE_URL", container.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    added = runner.invoke(
        cli,
        ["orgs", "add", "--name", "Ops", "--kind", "oversight", "--jurisdiction", "IE", "--id", "org_ops"],
    )
    assert added.exit_code == 0, added.output
    assert runner.invoke(cli, ["orgs", "operator", "org_ops"]).exit_code == 0
    listed = json.loads(runner.invoke(cli, ["orgs", "list", "--json"]).output)
    assert [o["operates_node"] for o in listed if o["id"] == "org_ops"] == [True]
    platform = runner.invoke(
        cli, ["orgs", "add", "--name", "Shop", "--kind", "platform", "--jurisdiction", "IE", "--operator"]
    )
    assert platform.exit_code != 0
    assert "a platform does not run a node" in platform.output
    assert runner.invoke(cli, ["orgs", "operator", "org_ops", "--unset"]).exit_code == 0
    with container.transaction() as session:
        tags = session.scalars(select(AuditEvent.tag).where(AuditEvent.subject_id == "org_ops")).all()
    assert tags == [
        "identity:organisation:created",
        "identity:organisation:operator_set",
        "identity:organisation:operator_unset",
    ]
