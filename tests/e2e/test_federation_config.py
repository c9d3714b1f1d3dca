"""Two nodes each run from a config file (``comity federation serve --config FILE``), in real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from comity.agreements.service import install_bundled
from comity.federation.nodeconfig import NodeConfig
from comity.keys.keystore import Keystore
from comity.keys.truststore import export_trust_store
from comity.web.container import Container
from e2e.test_federation import _free_port
from integration.federation.nodes import AGREEMENT, Node, node_database
from integration.federation.test_exchange import deliver, queue, received

pytestmark = pytest.mark.e2e


def comity(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "comity.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COMITY_LOG_LEVEL": "WARNING"},
    )


def write_config(path: Path, code: str, database_url: str, peers: list[dict[str, object]]) -> None:
    lines = [f'name = "{code.lower()}-node"', f'jurisdiction = "{code}"', f'home = "{code.lower()}-home"']
    lines += [f'database_url = "{database_url}"', "create_keys = true"]
    for peer in peers:
        lines += ["", "[[peers]]"] + [f"{k} = {json.dumps(v)}" for k, v in peer.items()]
    path.write_text("\n".join(lines) + "\n")


def test_two_nodes_from_config_files(tmp_path: Path) -> None:
    with node_database("CIE", tmp_path) as ie_db, node_database("CDE", tmp_path) as de_db:
        ports = {"IE": _free_port(), "DE": _free_port()}
        dbs = {"IE": ie_db, "DE": de_db}
        # First pass: no peers yet; creates each node's schema, anchor and node keys.
        for code in ("IE", "DE"):
            write_config(tmp_path / f"{code}.toml", code, dbs[code], [])
            done = comity("federation", "apply", "--config", str(tmp_path / f"{code}.toml"), "--json")
            assert done.returncode == 0, done.stderr
        nodes: dict[str, Node] = {}
        for code in ("IE", "DE"):
            config = NodeConfig.load(tmp_path / f"{code}.toml")
            container = Container.from_settings(config.settings())
            keystore = Keystore.for_settings(container.settings)
            with container.transaction() as session:
                install_bundled(session, clock=container.clock, proposer="user:a", approver="user:b")
                (tmp_path / f"{code}-trust.json").write_bytes(
                    export_trust_store(
                        session, clock=container.clock, keystore=keystore, jurisdictions=[code]
                    )
                )
            nodes[code] = Node(code=code, container=container, keystore=keystore)
        # Second pass: each names the other as a peer, with its trust store; then serve.
        servers = []
        try:
            for code, other in (("IE", "DE"), ("DE", "IE")):
                peer = {
                    "jurisdiction": other,
                    "url": f"http://127.0.0.1:{ports[other]}",
                    "trust_store": f"{other}-trust.json",
                    "agreements": [AGREEMENT],
                }
                write_config(tmp_path / f"{code}.toml", code, dbs[code], [peer])
                args = ["--config", str(tmp_path / f"{code}.toml"), "--port", str(ports[code])]
                servers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "comity.cli.main", "federation", "serve", *args],
                        env={**os.environ, "COMITY_LOG_LEVEL": "WARNING"},
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            for port in ports.values():
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    try:
                        if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.1)
                else:
                    raise AssertionError(f"the node on port {port} did not start")
            message_id, _, _ = queue(nodes["IE"])
            assert deliver(nodes["IE"], httpx.Client(timeout=10)).delivered == 1
            assert [m.message_id for m in received(nodes["DE"])] == [message_id]
            again = comity("federation", "apply", "--config", str(tmp_path / "IE.toml"), "--json")
            assert json.loads(again.stdout) == {"trust_imported": 0, "peers": 1}  # idempotent
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=20)
            for node in nodes.values():
                node.container.engine.dispose()
    bad = tmp_path / "bad.toml"
    bad.write_text('jurisdiction = "IE"\nhome = "x"\nunknown = 1\n')
    refused = comity("federation", "apply", "--config", str(bad))
    assert refused.returncode == 2
    assert "unknown" in refused.stderr
