"""Reading a node's config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from comity.errors import InvalidInput
from comity.federation.nodeconfig import NodeConfig

GOOD = """
name = "ie-node"
jurisdiction = "IE"
home = "ie-home"

[[peers]]
jurisdiction = "DE"
url = "https://de.node.example"
trust_store = "trust/de.json"
agreements = ["eev-eu5"]
"""


def test_relative_paths_are_taken_from_the_file_folder(tmp_path: Path) -> None:
    path = tmp_path / "ie.toml"
    path.write_text(GOOD)
    config = NodeConfig.load(path)
    assert config.home == tmp_path / "ie-home"
    assert config.peers[0].trust_store == tmp_path / "trust" / "de.json"
    settings = config.settings()
    assert settings.node_jurisdiction == "IE"
    assert settings.resolved_database_url.endswith("ie-home/comity.sqlite3")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("jurisdiction = \n", "config"),
        ('jurisdiction = "IE"\n', "home"),
        ('jurisdiction = "IE"\nhome = "x"\npassphrase = "no"\n', "passphrase"),
    ],
)
def test_bad_files_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as refused:
        NodeConfig.load(path)
    assert field in [e.path for e in refused.value.errors]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        NodeConfig.load(tmp_path / "none.toml")
