"""``comity demo --federated --no-serve --json``: three real node processes and a witness, one request end
to end; and a node run from its config file with its worker (``comity serve --config FILE --worker``).

Under PostgreSQL (``COMITY_TEST_DATABASE_URL``) every node gets a fresh database on that server
(``--database-url-base``), created and dropped by the demo (``--drop-databases``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e.test_federation import _free_port
from integration.federation.nodes import node_database

pytestmark = pytest.mark.e2e

STAGES = [
    "setup",
    "start",
    "pseudonym_keys",
    "case",
    "request",
    "mirror",
    "accept",
    "evidence",
    "delivered",
    "transfer",
    "ie_status",
    "ie_evidence",
    "settle",
    "witness",
]


def _env() -> dict[str, str]:
    env = {**os.environ, "COMITY_LOG_LEVEL": "WARNING"}
    for name in ("COMITY_HOME", "COMITY_DATABASE_URL", "COMITY_NODE_JURISDICTION"):
        env.pop(name, None)
    return env


def run_federated_demo(home: Path) -> dict[str, Any]:
    args = ["demo", "--federated", "--no-serve", "--json", "--home", str(home), "--timeout", "60"]
    base = os.environ.get("COMITY_TEST_DATABASE_URL")
    if base:
        args += ["--database-url-base", base, "--drop-databases"]
    result = subprocess.run(
        [sys.executable, "-m", "comity.cli.main", *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_federated_demo_runs_every_stage_between_three_node_processes(tmp_path: Path) -> None:
    out = run_federated_demo(tmp_path / "nodes")
    assert [s["stage"] for s in out["stages"]] == STAGES
    assert out["databases"] == ("postgresql" if os.environ.get("COMITY_TEST_DATABASE_URL") else "sqlite")

    # Every message between the nodes was delivered, receipted and handled; nothing failed.
    assert out["failures"] == 0
    assert out["messages_sent"] > 0
    assert out["delivered"] == out["messages_sent"]
    assert out["receipts"] >= out["delivered"]
    assert out["received"] == out["handled"] == out["delivered"]
    for code in ("IE", "DE", "FR"):
        node = out["nodes"][code]
        assert node["failed"] == node["handling_failed"] == node["pending"] == 0, code
    assert out["nodes"]["IE"]["messages_sent"] >= 1  # the request, and retrieval evidence back
    assert out["nodes"]["DE"]["messages_sent"] >= 2  # pseudonym keys, steps, evidence, retrieval evidence

    # The same request on both nodes, in the same state.
    assert out["request_id"].startswith("req_")
    assert out["statuses"]["IE"] == out["statuses"]["DE"] == "delivered"
    stage = {s["stage"]: s for s in out["stages"]}
    assert stage["mirror"]["case"] == out["case_id"]
    # DE, the enforcing state, was notified: its officer reviewed the order and accepted it.
    assert stage["request"]["status"] == stage["mirror"]["status"] == "executing_state_reviewing"
    assert stage["accept"]["status"] == "accepted"

    # The evidence sealed on DE is held on IE, same content address.
    de_items, ie_items = out["evidence"]["DE"], out["evidence"]["IE"]
    assert len(de_items) == 1
    # In transit until IE's signed acknowledgement came back and was recorded: sealed again after it.
    assert de_items[0]["state"] == "sealed"
    assert [i["sha256"] for i in ie_items] == [de_items[0]["sha256"]]
    assert ie_items[0]["id"] == stage["ie_evidence"]["evidence"]

    # FR's witness cosigned a checkpoint of IE's and of DE's log.
    witness = out["witness"]
    for code in ("IE", "DE"):
        checkpoint = witness["checkpoints"][code]
        assert checkpoint["origin"].endswith(f"/{code.lower()}/log")
        assert checkpoint["size"] > 0
        assert checkpoint["cosignatures"]
        assert all(line.startswith(f"\u2014 {witness['name']} ") for line in checkpoint["cosignatures"])

    # The nodes' homes and config files stay in --home; every process was stopped.
    assert (tmp_path / "nodes" / "ie.toml").is_file()
    assert out["wall_seconds"] > 0


def test_federated_demo_refuses_a_used_home(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "comity.cli.main",
            "demo",
            "--federated",
            "--no-serve",
            "--home",
            str(tmp_path),
        ],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "not empty" in result.stderr


def _config(path: Path, code: str, database_url: str, *, worker: bool) -> None:
    path.write_text(
        f'jurisdiction = "{code}"\nhome = "{code.lower()}-home"\ndatabase_url = "{database_url}"\n'
        f"create_keys = true\nworker = {'true' if worker else 'false'}\nworker_interval = 0.2\n"
    )


def test_serve_config_with_worker_integrates_the_log_and_stops_cleanly(tmp_path: Path) -> None:
    with node_database("CWK", tmp_path) as database_url:
        _config(tmp_path / "node.toml", "IE", database_url, worker=False)
        port = _free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "comity.cli.main",
                "serve",
                "--config",
                str(tmp_path / "node.toml"),
                "--port",
                str(port),
                "--worker",
            ],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            # Applying the file (keys) wrote audit events; only the worker's `translog` job turns them into
            # a signed checkpoint, so a checkpoint served proves the worker thread runs.
            deadline = time.monotonic() + 60
            checkpoint = None
            while time.monotonic() < deadline:
                try:
                    response = httpx.get(f"http://127.0.0.1:{port}/api/v1/log/checkpoint", timeout=2)
                    if response.status_code == 200:
                        checkpoint = response.text
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            assert checkpoint is not None, "no checkpoint: the worker did not run"
            assert checkpoint.splitlines()[0].endswith("/ie/log")
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0, stderr.decode()


def test_worker_with_the_config_file_reads_its_settings(tmp_path: Path) -> None:
    with node_database("CWO", tmp_path) as database_url:
        _config(tmp_path / "node.toml", "DE", database_url, worker=False)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "comity.cli.main",
                "worker",
                "--config",
                str(tmp_path / "node.toml"),
                "--once",
                "--job",
                "translog",
                "--json",
            ],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["errors"] == {}
        assert report["done"]["translog"] > 0  # the keys the file created were integrated into DE's log
        assert (tmp_path / "de-home").is_dir()


def test_bootstrap_exports_what_peers_and_witnesses_need_and_is_idempotent(tmp_path: Path) -> None:
    with node_database("CBS", tmp_path) as database_url:
        config = tmp_path / "ie.toml"
        config.write_text(
            f'jurisdiction = "IE"\nhome = "ie-home"\ndatabase_url = "{database_url}"\n'
            'base_url = "http://ie:8000"\n\n[[peers]]\njurisdiction = "DE"\nurl = "http://de:8000"\n'
            'trust_store = "trust/de.json"\nagreements = ["eev-eu5"]\n'
        )
        args = ["federation", "bootstrap", "--config", str(config), "--export-to", str(tmp_path / "trust")]
        outputs = []
        for _ in range(2):
            result = subprocess.run(
                [sys.executable, "-m", "comity.cli.main", *args, "--demo-agreements", "--json"],
                env=_env(),
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, result.stderr  # the peer's trust store does not exist yet: fine
            outputs.append(json.loads(result.stdout))
        first, second = outputs
        assert first["agreements"]["installed"] > 0
        assert second["agreements"]["installed"] == 0
        assert first["log_vkey"] == second["log_vkey"]
        assert first["log_vkey"].startswith("ie:8000/ie/log+")
        assert (tmp_path / "trust" / "ie.vkey").read_text().strip() == first["log_vkey"]
        trust = json.loads((tmp_path / "trust" / "ie.json").read_text())
        assert [a["jurisdiction"] for a in trust["anchors"]] == ["IE"]
