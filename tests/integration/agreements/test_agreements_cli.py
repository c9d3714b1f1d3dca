"""``comity offences``, ``comity jurisdictions`` and ``comity agreements`` on a real database, and
validating files without one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from comity.agreements import service
from comity.cli import agreements as agreements_cli
from comity.cli import vocabulary as vocabulary_cli
from comity.vocabulary.loader import bundled_jurisdiction_files
from comity.web.container import Container

ASSETS = Path(__file__).parents[2] / "assets" / "agreements"
runner = CliRunner()


@pytest.fixture
def node(agreements_container: Container, monkeypatch: pytest.MonkeyPatch) -> Container:
    """The CLI's node is the test database, with the bundled documents installed."""
    with agreements_container.transaction() as session:
        service.install_bundled(
            session, clock=agreements_container.clock, proposer="user:admin", approver="user:oversight"
        )
    for module in (agreements_cli, vocabulary_cli):
        monkeypatch.setattr(module, "open_container", lambda **_: agreements_container)
    return agreements_container


def test_offences_list_json(node: Container) -> None:
    result = runner.invoke(vocabulary_cli.offences_app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    offences = {o["code"]: o for o in json.loads(result.stdout)}
    assert offences["counterfeit_goods"] == {
        "code": "counterfeit_goods",
        "name": "Counterfeit goods",
        "severity": "medium",
        "list_offence": True,
        "list_categories": [22],
        "cyber_or_terror": False,
    }
    assert offences["unsafe_products"]["list_offence"] is False


def test_jurisdictions_list_json(node: Container) -> None:
    result = runner.invoke(vocabulary_cli.jurisdictions_app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    profiles = {p["code"]: p for p in json.loads(result.stdout)}
    assert set(profiles) == {"DE", "ES", "FR", "GB", "IE", "NL"}
    betrug = next(s for s in profiles["DE"]["statutes"] if s["id"] == "DE-StGB-263")
    assert betrug == {
        "id": "DE-StGB-263",
        "offence": "fraud",
        "statute": "StGB § 263 Abs. 1",
        "max_penalty_months": 60,
        "life_imprisonment": False,
    }


def test_agreements_list_json_and_table(node: Container) -> None:
    result = runner.invoke(agreements_cli.app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    listed = {a["id"]: a for a in json.loads(result.stdout)}
    assert listed["bud-gb-ie"] == {
        "id": "bud-gb-ie",
        "version": 1,
        "regime": "budapest_preservation",
        "title": "Expedited preservation between Ireland and the United Kingdom (Budapest Art. 29)",
        "parties": ["IE", "GB"],
        "offences": listed["bud-gb-ie"]["offences"],
        "effective": "2026-01-01",
        "sunset": "2030-12-31",
    }
    assert "money_laundering" in listed["bud-gb-ie"]["offences"]
    table = runner.invoke(agreements_cli.app, ["list"])
    assert table.exit_code == 0
    assert "jit-shadowmart" in table.stdout
    assert "in force" in table.stdout
    assert "counterfeit_goods" in runner.invoke(vocabulary_cli.offences_app, ["list"]).stdout


def test_empty_node_lists_nothing(agreements_container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agreements_cli, "open_container", lambda **_: agreements_container)
    result = runner.invoke(agreements_cli.app, ["list", "--json"])
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])
    assert "no agreement is approved" in runner.invoke(agreements_cli.app, ["list"]).output


def test_validate_a_good_file_prints_ok() -> None:
    result = runner.invoke(agreements_cli.app, ["validate", str(ASSETS / "valid.yaml")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: test-eev-ie-de v1 (e_evidence) between DE, IE")


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("unknown-party-jurisdiction", "parties[1].jurisdiction"),
        ("bad-deadline-period", "deadlines.production"),
        ("payment-freeze-under-e-evidence", "permitted_measures.high[1]"),
        ("not-yaml", "$"),
    ],
)
def test_validate_a_broken_file_prints_each_path_and_fails(name: str, path: str) -> None:
    result = runner.invoke(agreements_cli.app, ["validate", str(ASSETS / f"{name}.yaml")])
    assert result.exit_code != 0
    assert f"  {path}: " in result.stdout


def test_validate_against_another_vocabulary(tmp_path: Path) -> None:
    only_ireland = tmp_path / "profiles"
    only_ireland.mkdir()
    source = next(p for p in bundled_jurisdiction_files() if p.stem == "ie")
    (only_ireland / "ie.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(
        agreements_cli.app, ["validate", str(ASSETS / "valid.yaml"), "--jurisdictions", str(only_ireland)]
    )
    assert result.exit_code != 0
    assert "parties[1].jurisdiction: no jurisdiction profile for 'DE'" in result.stdout


def test_templates_print_and_validate(tmp_path: Path) -> None:
    result = runner.invoke(agreements_cli.app, ["template", "freezing"])
    assert result.exit_code == 0
    copy = tmp_path / "mine.yaml"
    copy.write_text(result.stdout, encoding="utf-8")
    assert runner.invoke(agreements_cli.app, ["validate", str(copy)]).exit_code == 0
    assert runner.invoke(agreements_cli.app, ["template", "nonsense"]).exit_code != 0


def test_profiles_and_taxonomies_validate_without_a_database(tmp_path: Path) -> None:
    source = next(p for p in bundled_jurisdiction_files() if p.stem == "nl")
    good = runner.invoke(vocabulary_cli.jurisdictions_app, ["validate", str(source)])
    assert good.exit_code == 0
    assert good.stdout.startswith("OK: NL (Netherlands) v1")
    broken = tmp_path / "nl.yaml"
    broken.write_text(
        source.read_text(encoding="utf-8").replace("Europe/Amsterdam", "Europe/Atlantis"), encoding="utf-8"
    )
    result = runner.invoke(vocabulary_cli.jurisdictions_app, ["validate", str(broken)])
    assert result.exit_code != 0
    assert "time_zone: unknown IANA time zone 'Europe/Atlantis'" in result.stdout

    taxonomy = runner.invoke(
        vocabulary_cli.offences_app, ["validate", str(source.parents[1] / "taxonomy.yaml")]
    )
    assert taxonomy.stdout.startswith("OK: taxonomy v1, 38 offences")
    bad = tmp_path / "taxonomy.yaml"
    bad.write_text("version: 1\noffences:\n  thing: {name: Thing, severity: extreme}\n", encoding="utf-8")
    result = runner.invoke(vocabulary_cli.offences_app, ["validate", str(bad)])
    assert result.exit_code != 0
    assert "offences.thing.severity: " in result.stdout
