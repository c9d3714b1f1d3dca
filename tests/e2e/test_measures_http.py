"""End to end over real HTTP and real processes: an officer drafts and issues a provisional order, a judge
authorises it, the platform picks the signed order up from its inbox and verifies it offline with the
``comity`` command against the trust store the node publishes; the worker then lapses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from comity.web.container import Container
from integration.measures.world import World, build_world

pytestmark = pytest.mark.e2e


def comity(container: Container, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COMITY_DATABASE_URL": container.engine.url.render_as_string(hide_password=False),
        "COMITY_HOME": str(container.settings.home),
    }
    return subprocess.run(
        [sys.executable, "-m", "comity.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_order_issued_over_http_is_verified_offline_and_lapses(
    container: Container, live_url: str, tmp_path: Path
) -> None:
    world: World = build_world(container)
    api = f"{live_url}/api/v1"

    def call(who: str, path: str, body: dict[str, object] | None = None) -> httpx.Response:
        return httpx.post(
            f"{api}{path}", json=body or {}, headers={"Authorization": f"Bearer {world.tokens[who]}"}
        )

    now = world.clock.now()
    body = world.body(
        kind="removal_order",
        provisional=True,
        urgent=True,
        ends_at=None,
        review_at=(now + timedelta(days=3)).isoformat(),
        legal_basis="Regulation (EU) 2022/2065 Art. 9",
        prior_notice_skip_ground="would_defeat",
        prior_notice_skip_reason="the stock would be moved",
    )
    created = call("officer", "/measures", body)
    assert created.status_code == 201, created.text
    mid = created.json()["id"]
    assert call("officer", f"/measures/{mid}/submit").json()["status"] == "awaiting_authorisation"
    r = call("judge", f"/measures/{mid}/authorise", {"note": "urgent", "approve_prior_notice_skip": True})
    assert r.status_code == 200, r.text
    assert call("officer", f"/measures/{mid}/issue").json()["status"] == "issued"

    inbox = httpx.get(
        f"{api}/platform/inbox", headers={"Authorization": f"Bearer {world.tokens['platform']}"}
    )
    [order] = [m for m in inbox.json() if m["kind"] == "order.apply"]
    (tmp_path / "order.json").write_text(order["payload"])
    (tmp_path / "trust.json").write_bytes(httpx.get(f"{api}/keys/trust-store").content)
    at = (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    args = (
        "verify",
        "order",
        str(tmp_path / "order.json"),
        "--trust",
        str(tmp_path / "trust.json"),
        "--addressee",
        "bazaar-ltd",
        "--seen",
        str(tmp_path / "seen.txt"),
        "--at",
        at,
        "--json",
    )
    verified = comity(container, *args)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["measure"] == "removal_order"
    replay = comity(container, *args)
    assert replay.returncode == 1
    assert "[replayed]" in replay.stderr

    world.clock.advance(timedelta(days=3, seconds=1))
    from comity.worker.jobs import tick

    assert tick(container, only=("measures.lapse",)).done == {"measures.lapse": 1}
    # The platform finds the signed lift order in the sweep's batch and verifies it like any order.
    inbox = httpx.get(
        f"{api}/platform/inbox", headers={"Authorization": f"Bearer {world.tokens['platform']}"}
    )
    [batch] = [m for m in inbox.json() if m["kind"] == "order.lift.batch"]
    [lift] = json.loads(batch["payload"])["orders"]
    (tmp_path / "lift.json").write_text(json.dumps(lift))
    at_lift = (world.clock.now() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lifted = comity(
        container,
        "verify",
        "order",
        str(tmp_path / "lift.json"),
        "--trust",
        str(tmp_path / "trust.json"),
        "--addressee",
        "bazaar-ltd",
        "--at",
        at_lift,
        "--json",
    )
    assert lifted.returncode == 0, lifted.stderr
    assert json.loads(lifted.stdout)["instruction"] == "lift"
    listed = comity(container, "measures", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [m["status"] for m in json.loads(listed.stdout)] == ["lapsed"]
    notices = comity(container, "notices", "list", "--json")
    assert [n["kind"] for n in json.loads(notices.stdout)] == ["measure_notice"]
    shown = comity(container, "measures", "show", mid, "--json")
    assert json.loads(shown.stdout)["end_reason"] == "review deadline passed without confirmation"
    audit = comity(container, "audit", "invariants", "--json")
    assert json.loads(audit.stdout)["violations"] == []
    assert audit.returncode == 0
