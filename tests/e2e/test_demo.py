"""`comity demo --no-serve --json`: the story runs on a fresh node, and again on the same node."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from comity.keys.truststore import TrustStore


def run_demo(home: Path, database_url: str | None = None) -> dict[str, Any]:
    env = {**os.environ, "COMITY_HOME": str(home)}
    env.pop("COMITY_DATABASE_URL", None)
    if database_url:
        env["COMITY_DATABASE_URL"] = database_url
    result = subprocess.run(
        [sys.executable, "-m", "comity.cli.main", "demo", "--no-serve", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_demo_story_twice_on_a_fresh_sqlite_node(tmp_path: Path) -> None:
    first = run_demo(tmp_path)
    assert first["jurisdictions"] >= 5
    assert first["agreements"] >= 7
    assert first["allowed"] > 0
    assert first["refused"] > 0
    assert first["unanswered"] == 0
    assert first["documents"]["installed"] > 0
    for example in first["examples"]:
        decision = example["decision"]
        assert decision["reasons"], example["title"]
        assert all(r["source"] for r in decision["reasons"])
        # allowed iff every reason is satisfied
        assert decision["allowed"] == all(r["satisfied"] for r in decision["reasons"])

    assert first["cases"] == first["requests"] == first["bundles_verified"] == 1
    assert first["custody_events"] >= 2
    assert first["measures"] == first["orders"] == 1
    assert first["notices"] >= 1
    assert first["invariant_violations"] == 0
    assert first["log_entries"] > 0
    stages = [s["stage"] for s in first["walkthrough"]]
    assert stages == [
        "case",
        "request",
        "request",
        "request",
        "evidence",
        "order",
        "order",
        "log",
        "bundle",
        "audit",
    ]

    store = TrustStore.load(Path(first["trust_store"]))
    assert store.problems == {}
    assert len(list(store.trusted_keys())) == first["keys"]

    second = run_demo(tmp_path)
    assert second["keys"] == first["keys"]  # the officer's key, made on first use, is reused
    assert second["documents"]["installed"] == 0
    assert second["organisations"] == first["organisations"]
    assert [e["decision"]["allowed"] for e in second["examples"]] == [
        e["decision"]["allowed"] for e in first["examples"]
    ]
