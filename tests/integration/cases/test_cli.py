"""``comity cases`` and ``comity requests`` on a real database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from comity.assistance_requests import steps
from comity.cli import cases as cases_cli
from comity.cli import requests as requests_cli
from integration.cases.world import World

runner = CliRunner()


@pytest.fixture
def node(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    for module in (cases_cli, requests_cli):
        monkeypatch.setattr(module, "open_container", lambda **_: world.container)
    return world


def test_cases_list_and_show_json(node: World) -> None:
    case = node.open_case(identifier="seller-secret-4711")
    rid = node.draft(case)
    with node.container.transaction() as session:
        steps.submit(session, clock=node.clock, principal=node.who("officer"), request_id=rid)
    result = runner.invoke(cases_cli.app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"id": case[0], "title": "Fake watches", "status": "open", "jurisdictions": ["IE"]}
    ]
    result = runner.invoke(cases_cli.app, ["show", case[0], "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["id"] == case[0]
    assert body["offences"][0]["taxonomy_code"] == "counterfeit_goods"
    assert body["targets"][0]["identifier"] is None
    assert "4711" not in result.stdout
    assert next(e["tag"] for e in body["timeline"]) == "cases:case:opened"
    result = runner.invoke(cases_cli.app, ["show", "case_nope", "--json"])
    assert result.exit_code == 2
    assert "no case" in result.output


def test_requests_list_and_show_json(node: World) -> None:
    case = node.open_case()
    rid = node.draft(case)
    result = runner.invoke(requests_cli.app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json.loads(result.stdout)] == [rid]
    result = runner.invoke(requests_cli.app, ["show", rid, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["status"] == "draft"
    assert body["allowed_next"] == ["submit", "issue", "withdraw"]
    assert body["steps"][0]["decision"]["agreement"]["id"] == "eev-eu5"
    assert runner.invoke(requests_cli.app, ["show", "req_nope"]).exit_code == 2
