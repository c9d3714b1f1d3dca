"""End to end over real HTTP: the CLI issues a token, the live server honours it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

from comity.web.container import Container


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


def test_cli_token_works_against_live_server(container: Container, live_url: str) -> None:
    org = comity(
        container,
        "orgs",
        "add",
        "--name",
        "Polizei",
        "--kind",
        "authority",
        "--authority-type",
        "police",
        "--jurisdiction",
        "DE",
        "--json",
    )
    assert org.returncode == 0, org.stderr
    org_id = json.loads(org.stdout)["id"]
    user = comity(container, "users", "add", "lena", "--role", "officer", "--org", org_id, "--json")
    assert user.returncode == 0, user.stderr
    token = json.loads(user.stdout)["token"]

    me = httpx.get(f"{live_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["authority_type"] == "police"
    assert httpx.get(f"{live_url}/api/v1/me").status_code == 401


def test_cli_bad_input_is_a_plain_message_and_nonzero_exit(container: Container) -> None:
    result = comity(container, "orgs", "add", "--name", "X", "--kind", "authority", "--jurisdiction", "IE")
    assert result.returncode == 2
    assert "authority type" in result.stderr
    assert "Traceback" not in result.stderr
    result = comity(container, "users", "add", "x", "--role", "officer", "--org", "org_missing")
    assert result.returncode == 2
    assert "no organisation 'org_missing'" in result.stderr


def test_pages_render_over_http(live_url: str) -> None:
    home = httpx.get(live_url + "/")
    assert home.status_code == 200
    assert "text/html" in home.headers["content-type"]
    assert "Comity" in home.text
