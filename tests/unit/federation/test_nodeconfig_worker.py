"""The worker and witnessing settings of a node's config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from comity.errors import InvalidInput
from comity.federation.nodeconfig import NodeConfig
from comity.worker.witnessing import JOB_NAME

BASE = 'jurisdiction = "IE"\nhome = "ie"\n'


def _load(tmp_path: Path, text: str) -> NodeConfig:
    path = tmp_path / "node.toml"
    path.write_text(BASE + text)
    return NodeConfig.load(path)


def test_defaults_run_no_worker_in_serve_and_add_no_job(tmp_path: Path) -> None:
    config = _load(tmp_path, "")
    assert config.worker is False
    assert config.worker_interval == 1.0
    assert config.worker_jobs() == {}
    assert config.settings().base_url == "http://127.0.0.1:8000"


def test_worker_base_url_and_witnesses(tmp_path: Path) -> None:
    (tmp_path / "trust").mkdir()
    (tmp_path / "trust" / "witness.vkey").write_text("witness.example/fr+01020304+AAAA\n")
    config = _load(
        tmp_path,
        'base_url = "https://ie.node.example"\nworker = true\nworker_interval = 0.5\n'
        '[[witnesses]]\nurl = "https://w.example"\nvkey_file = "trust/witness.vkey"\n'
        '[[witnesses]]\nurl = "https://w2.example"\nvkey = "w2.example+01020304+BBBB"\n',
    )
    assert config.worker is True
    assert config.worker_interval == 0.5
    assert config.settings().base_url == "https://ie.node.example"
    assert config.witnesses[0].vkey_file == tmp_path / "trust" / "witness.vkey"
    assert config.witnesses[0].resolved_vkey() == "witness.example/fr+01020304+AAAA"
    assert config.witnesses[1].resolved_vkey() == "w2.example+01020304+BBBB"
    assert set(config.worker_jobs()) == {JOB_NAME}


@pytest.mark.parametrize(
    "witness",
    [
        '[[witnesses]]\nurl = "https://w.example"\n',
        '[[witnesses]]\nurl = "https://w.example"\nvkey = "a+01020304+AA"\nvkey_file = "x"\n',
    ],
)
def test_a_witness_needs_exactly_one_vkey(tmp_path: Path, witness: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        _load(tmp_path, witness)
    assert any(e.path.startswith("witnesses") for e in raised.value.errors)


@pytest.mark.parametrize("interval", ["0", "-1"])
def test_the_interval_is_positive(tmp_path: Path, interval: str) -> None:
    with pytest.raises(InvalidInput):
        _load(tmp_path, f"worker_interval = {interval}\n")


def test_a_missing_witness_vkey_file_is_named(tmp_path: Path) -> None:
    config = _load(tmp_path, '[[witnesses]]\nurl = "https://w.example"\nvkey_file = "nope.vkey"\n')
    with pytest.raises(InvalidInput) as raised:
        config.worker_jobs()
    assert raised.value.errors[0].path == "witnesses.vkey_file"
