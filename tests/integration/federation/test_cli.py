"""``comity federation`` from the command line, against a node's own home and database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from integration.federation.nodes import Node


def comity(node: Node, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "comity.cli.main", "federation", *args],
        env=node.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_peers_and_trust_from_the_cli(nodes: dict[str, Node], tmp_path: Path) -> None:
    de, fr = nodes["DE"], nodes["FR"]
    store = tmp_path / "fr-trust.json"
    store.write_bytes(fr.trust_store())
    imported = comity(de, "trust", "import", str(store), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["jurisdiction"] == "FR"
    added = comity(
        de, "peers", "add", "FR", "--url", "http://127.0.0.1:9", "--agreement", "eev-eu5", "--json"
    )
    assert added.returncode == 0, added.stderr
    listed = json.loads(comity(de, "peers", "list", "--json").stdout)
    assert {p["jurisdiction"]: p["status"] for p in listed} == {"FR": "active", "IE": "active"}
    assert comity(de, "peers", "remove", "FR").returncode == 0
    missing = comity(de, "trust", "import", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
    sent = comity(
        de,
        "send",
        "--to",
        "IE",
        "--type",
        "note",
        "--agreement",
        "eev-eu5",
        "--data",
        '{"subscriber": {"email": "a@example.org", "colour": "red"}}',
        "--json",
    )
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["dropped"] == ["subscriber.colour"]


def test_received_messages_from_the_cli(nodes: dict[str, Node], http: dict[str, TestClient]) -> None:
    from integration.federation.test_exchange import deliver, queue

    message_id, _, _ = queue(nodes["IE"])
    assert deliver(nodes["IE"], http["DE"]).delivered == 1
    listed = comity(nodes["DE"], "messages", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (message,) = json.loads(listed.stdout)
    assert message["message_id"] == message_id
    assert message["sender"] == "IE"
    assert message["body"]["data"] == {"subscriber": {"email": "seller@example.org"}}
