"""``comity keys``: the administrator's commands, on the shared test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from comity.cli import keys as keys_cli
from comity.keys.truststore import TrustStore
from comity.kinds import AuthorityType
from comity.signing import errors as errs
from comity.web.container import Container

runner = CliRunner()


@pytest.fixture(autouse=True)
def _node(keys_container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys_cli, "open_container", lambda **_: keys_container)


def _json(*args: str) -> dict[str, object]:
    result = runner.invoke(keys_cli.app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_anchor_add_list_revoke_export(tmp_path: Path) -> None:
    anchor = _json("anchor", "create", "--jurisdiction", "IE")
    judge = _json(
        "add", "--purpose", "authority_signing", "--jurisdiction", "IE", "--authority-type", "judge"
    )
    node = _json("add", "--purpose", "node_signing", "--jurisdiction", "IE", "--valid-days", "30")
    listing = _json("list")
    assert [a["keyid"] for a in listing["anchors"]] == [anchor["keyid"]]  # type: ignore[index]
    assert {k["keyid"] for k in listing["keys"]} == {judge["keyid"], node["keyid"]}  # type: ignore[index, union-attr]
    assert all(k["status_now"] == "valid" for k in listing["keys"])  # type: ignore[index, union-attr]

    rotated = _json("rotate", str(node["keyid"]), "--overlap-days", "0")
    assert rotated["replaces"] == node["keyid"]
    revoked = _json("revoke", str(judge["keyid"]), "--reason", "token lost", "--code", "key_compromise")
    assert revoked["status"] == "revoked"

    target = tmp_path / "trust.json"
    result = runner.invoke(keys_cli.app, ["trust-store", "export", str(target)])
    assert result.exit_code == 0, result.output
    store = TrustStore.load(target)
    with pytest.raises(errs.KeyRevoked, match="key_compromise"):
        store.resolve(str(judge["keyid"]), store.exported_at)
    with pytest.raises(errs.KeyRevoked, match="superseded"):
        store.resolve(str(node["keyid"]), store.exported_at)
    assert store.resolve(str(rotated["keyid"]), store.exported_at).holder.authority_type is None

    plain = runner.invoke(keys_cli.app, ["list"])
    assert plain.exit_code == 0
    assert "anchor  IE" in plain.stdout


def test_errors_are_plain_messages_with_a_non_zero_exit(tmp_path: Path) -> None:
    result = runner.invoke(keys_cli.app, ["add", "--purpose", "node_signing", "--jurisdiction", "IE"])
    assert result.exit_code == 2
    assert "no trust anchor for IE" in result.output
    result = runner.invoke(keys_cli.app, ["trust-store", "export", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert "no trust anchor yet" in result.output
    _json("anchor", "create", "--jurisdiction", "IE")
    result = runner.invoke(
        keys_cli.app, ["add", "--purpose", "authority_signing", "--jurisdiction", "IE", "--public-key", "***"]
    )
    assert result.exit_code == 2
    assert "not base64" in result.output
    result = runner.invoke(keys_cli.app, ["revoke", "ab" * 32, "--reason", "x"])
    assert result.exit_code == 2
    assert "no registered key" in result.output


def test_authority_type_option_is_validated() -> None:
    result = runner.invoke(
        keys_cli.app,
        ["add", "--purpose", "authority_signing", "--jurisdiction", "IE", "--authority-type", "sheriff"],
    )
    assert result.exit_code != 0
    assert AuthorityType.JUDGE.value in result.output
