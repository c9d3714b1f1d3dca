"""The command line exports: a bundle that verifies, and CASE/UCO JSON-LD that passes case_validate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from case_utils.case_validate import validate
from sqlalchemy import select
from typer.testing import CliRunner

from comity.cli.main import app as cli
from comity.custody.model import CustodyEvent, EvidenceItem
from comity.web.container import Container
from integration.custody.custody_support import build_case

UCO_ACTION = "case-investigation:InvestigativeAction"


@pytest.fixture
def cli_env(node: Container, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COMITY_HOME", str(node.settings.home))
    monkeypatch.setenv("COMITY_DATABASE_URL", node.engine.url.render_as_string(hide_password=False))
    return CliRunner()


def test_export_then_verify_from_the_command_line(
    node: Container, cli_env: CliRunner, tmp_path: Path
) -> None:
    built = build_case(node, tmp_path)
    out = tmp_path / "from-cli.zip"
    exported = cli_env.invoke(cli, ["evidence", "export", "case_1", "--out", str(out), "--json"])
    assert exported.exit_code == 0, exported.output
    summary = json.loads(exported.output)
    assert (summary["items"], summary["events"]) == (2, built.events)
    verified = cli_env.invoke(
        cli, ["verify", "bundle", str(out), "--trust", str(built.trust_store), "--json"]
    )
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["events"] == built.events
    missing = cli_env.invoke(cli, ["evidence", "export", "no_such_case", "--out", str(tmp_path / "x.zip")])
    assert missing.exit_code == 2
    assert "no evidence for case" in missing.output


# rdflib and case-utils use APIs their own dependencies deprecate; not ours to fix.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_case_uco_export_passes_case_validate_with_one_action_per_event(
    node: Container, cli_env: CliRunner, tmp_path: Path
) -> None:
    built = build_case(node, tmp_path)
    out = tmp_path / "case.jsonld"
    exported = cli_env.invoke(
        cli, ["evidence", "export", "case_1", "--format", "case-uco", "--out", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    result = validate(str(out), allow_warnings=False)
    assert result.conforms, result.text
    assert not result.undefined_concepts
    graph = json.loads(out.read_text())["@graph"]
    nodes = {n["@id"]: n for n in graph}
    actions = [n for n in graph if n["@type"] == UCO_ACTION]
    assert len(actions) == built.events
    with node.transaction() as session:
        digests = {i.id: i.sha256 for i in session.scalars(select(EvidenceItem))}
        events = session.scalars(select(CustodyEvent)).all()
    assert sorted(a["uco-core:name"] for a in actions) == sorted(e.action for e in events)
    for action in actions:
        record = nodes[action["uco-action:result"][-1]["@id"]]
        evidence_id = record["case-investigation:exhibitNumber"].split("/")[0]
        file = nodes[record["uco-core:object"][0]["@id"]]
        hashes = file["uco-core:hasFacet"][0]["uco-observable:hash"]
        assert hashes[0]["uco-types:hashValue"]["@value"] == digests[evidence_id]
        envelope_hash = next(e.envelope_sha256 for e in events if e.evidence_id == evidence_id)
        assert any(envelope_hash in d for a in actions for d in a["uco-core:description"])
