"""End to end over real HTTP: evidence streamed up and down through a live server, then exported."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from comity.kinds import Role
from comity.web.container import Container
from integration.custody.custody_support import UserFactory, create_anchor, join_case, upload_params
from support import bearer

pytestmark = pytest.mark.e2e

CHUNK = 256 * 1024
SIZE = 8 * CHUNK + 123  # 2 MiB and a bit, sent in chunks without a Content-Length


def _content(seed: bytes) -> Iterator[bytes]:
    block = hashlib.sha256(seed).digest() * (CHUNK // 32)
    for _ in range(8):
        yield block
    yield block[:123]


@pytest.fixture
def vault(container: Container, monkeypatch: pytest.MonkeyPatch) -> Container:
    monkeypatch.delenv("COMITY_KEYSTORE_PASSPHRASE", raising=False)
    create_anchor(container)
    return container


def test_upload_and_download_stream_over_http(
    vault: Container, live_url: str, make_user: UserFactory
) -> None:
    token = make_user(Role.OFFICER)
    join_case(vault, token)
    expected = hashlib.sha256(b"".join(_content(b"capture"))).hexdigest()
    params = upload_params(vault.clock.now(), filename="capture.bin")
    with httpx.Client(base_url=live_url, headers=bearer(token), timeout=60) as http:
        created = http.post(
            "/api/v1/evidence",
            params=params,
            content=_content(b"capture"),
            headers={"Content-Type": "application/octet-stream"},
        )
        assert created.status_code == 201, created.text
        item = created.json()
        assert (item["sha256"], item["size_bytes"]) == (expected, SIZE)
        digest = hashlib.sha256()
        received = 0
        with http.stream(
            "GET", f"/api/v1/evidence/{item['id']}/content", params={"purpose": "e2e"}
        ) as response:
            assert response.status_code == 200
            assert int(response.headers["content-length"]) == SIZE
            for chunk in response.iter_bytes():
                digest.update(chunk)
                received += len(chunk)
        assert (digest.hexdigest(), received) == (expected, SIZE)
        events = http.get(f"/api/v1/evidence/{item['id']}/events").json()
        assert [e["action"] for e in events] == ["collected", "accessed"]


def test_an_oversized_upload_is_refused_over_http(
    vault: Container, live_url: str, make_user: UserFactory
) -> None:
    vault.settings.evidence_max_bytes = 3 * CHUNK
    token = make_user(Role.OFFICER)
    join_case(vault, token)
    with httpx.Client(base_url=live_url, headers=bearer(token), timeout=60) as http:
        try:
            refused = http.post(
                "/api/v1/evidence", params=upload_params(vault.clock.now()), content=_content(b"x")
            )
            status = refused.status_code
            assert refused.headers["content-type"] == "application/problem+json"
        except httpx.WriteError:
            status = 413  # the server answered and closed while the client was still sending
        assert status == 413
    store = vault.settings.home / "evidence"
    assert not store.exists() or [p for p in store.rglob("*") if p.is_file()] == []


def test_export_and_verify_with_the_command_line(
    vault: Container, live_url: str, make_user: UserFactory, tmp_path: Path
) -> None:
    token = make_user(Role.OFFICER)
    join_case(vault, token, "case_e2e")
    with httpx.Client(base_url=live_url, headers=bearer(token), timeout=60) as http:
        params = upload_params(vault.clock.now() - timedelta(seconds=1), case_id="case_e2e")
        assert http.post("/api/v1/evidence", params=params, content=b"page").status_code == 201
    env = {
        **os.environ,
        "COMITY_DATABASE_URL": vault.engine.url.render_as_string(hide_password=False),
        "COMITY_HOME": str(vault.settings.home),
    }
    bundle = tmp_path / "case.zip"
    for args in (["evidence", "export", "case_e2e", "--out", str(bundle)], ["verify", "bundle", str(bundle)]):
        result = subprocess.run(
            [sys.executable, "-m", "comity.cli.main", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    assert "verified: case case_e2e, 1 item(s), 1 custody event(s)" in result.stdout
