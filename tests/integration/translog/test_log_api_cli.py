"""The public log API and the ``comity log`` commands, against a log that proofs are checked against."""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from comity.cli import log as log_cli
from comity.translog import service as log_service
from comity.translog.model import EntryRow
from comity.verify import (
    leaf_hash,
    open_checkpoint,
    verify_consistency,
    verify_entry_in_checkpoint,
    verify_inclusion,
)
from comity.web.app import create_app
from comity.web.container import Container

runner = CliRunner()


@pytest.fixture
def api(node: Container) -> TestClient:
    return TestClient(create_app(container=node), raise_server_exceptions=False)


def test_checkpoint_vkey_and_proofs_over_http_verify(api: TestClient, record, integrate) -> None:
    record(7)
    first = integrate().tree_size
    record(6)
    second = integrate().tree_size
    note = api.get("/api/v1/log/checkpoint")
    assert note.status_code == 200
    assert note.headers["content-type"].startswith("text/plain")
    vkey = api.get("/api/v1/log/vkey").text.strip()
    checkpoint = open_checkpoint(note.text, vkey).checkpoint
    assert checkpoint.size == second
    for index in (0, 3, second - 1):
        proof = api.get("/api/v1/log/proof/inclusion", params={"index": index}).json()
        page = api.get("/api/v1/log/entries", params={"start": index, "end": index + 1}).json()
        data = base64.b64decode(page["entries"][0]["data"])
        assert proof["leaf_hash"] == leaf_hash(data).hex()
        verify_entry_in_checkpoint(data, index, [bytes.fromhex(h) for h in proof["hashes"]], note.text, vkey)
    old = api.get("/api/v1/log/proof/inclusion", params={"index": 2, "tree_size": first}).json()
    assert old["tree_size"] == first
    consistency = api.get("/api/v1/log/proof/consistency", params={"from": first, "to": second}).json()
    assert (consistency["from"], consistency["to"]) == (first, second)
    verify_consistency(
        first,
        second,
        bytes.fromhex(consistency["first_root"]),
        checkpoint.root_hash,
        [bytes.fromhex(h) for h in consistency["hashes"]],
    )


def test_out_of_range_requests_are_problems_not_errors(api: TestClient, record, integrate) -> None:
    record(3)
    size = integrate().tree_size
    cases = [
        ("/api/v1/log/proof/inclusion", {"index": size}),
        ("/api/v1/log/proof/inclusion", {"index": 0, "tree_size": size + 5}),
        ("/api/v1/log/proof/inclusion", {"index": -1}),
        ("/api/v1/log/proof/consistency", {"from": 2, "to": size + 1}),
        ("/api/v1/log/proof/consistency", {"from": size, "to": 1}),
        ("/api/v1/log/entries", {"start": 0, "end": 5000}),
    ]
    for path, params in cases:
        answer = api.get(path, params=params)
        assert answer.status_code in (404, 422), (path, params, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"


def test_no_checkpoint_yet_is_404(node: Container) -> None:
    api = TestClient(create_app(container=node), raise_server_exceptions=False)
    answer = api.get("/api/v1/log/checkpoint")
    assert answer.status_code == 404


@pytest.fixture
def cli(node: Container, monkeypatch: pytest.MonkeyPatch) -> Container:
    monkeypatch.setattr(log_cli, "open_container", lambda **_: node)
    return node


def _run(*args: str) -> str:
    result = runner.invoke(log_cli.app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_commands_print_what_verifiers_need(cli: Container, record) -> None:
    record(9)
    assert "integrated" in _run("integrate")
    note = _run("checkpoint")
    vkey = _run("vkey").strip()
    size = open_checkpoint(note, vkey).checkpoint.size
    proof = json.loads(_run("proof", "--index", "4", "--json"))
    assert set(proof) == {"index", "tree_size", "leaf_hash", "hashes"}
    assert proof["tree_size"] == size
    entry = json.loads(_run("entry", "--index", "4", "--json"))
    assert set(entry) == {"index", "data"}
    data = base64.b64decode(entry["data"])
    assert leaf_hash(data).hex() == proof["leaf_hash"]
    verify_inclusion(
        4,
        size,
        leaf_hash(data),
        [bytes.fromhex(h) for h in proof["hashes"]],
        open_checkpoint(note, vkey).checkpoint.root_hash,
    )
    consistency = json.loads(_run("consistency", "--from", "3", "--to", str(size), "--json"))
    assert set(consistency) == {"from", "to", "hashes"}
    assert _run("verify").startswith("ok:")
    assert "leaf hash" in _run("proof", "--index", "1")


def test_cli_verify_names_the_first_fault(cli: Container, record) -> None:
    record(4)
    _run("integrate")
    with cli.transaction() as session:
        row = session.get(EntryRow, 3)
        assert row is not None
        row.data = row.data.replace(b"thing", b"thinG", 1)
    result = runner.invoke(log_cli.app, ["verify"])
    assert result.exit_code == 1
    assert "leaf_mismatch" in result.output
    assert "entry 3" in result.output


def test_the_follow_loop_integrates_within_the_merge_delay(cli: Container, record) -> None:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    runner_thread = threading.Thread(
        target=log_cli.follow_log, args=(cli,), kwargs={"stop": stop, "merge_delay": 0.4}
    )
    runner_thread.start()
    try:
        time.sleep(0.3)
        ids = record(3)
        committed = time.monotonic()
        found = None
        while found is None and time.monotonic() - committed < 5:
            with cli.transaction() as session:
                found = log_service.leaf_for_audit_event(session, ids[-1])
            time.sleep(0.02)
        assert found is not None
        # Within the merge delay, plus scheduling slack on two busy cores.
        assert time.monotonic() - committed < 0.4 + 0.6
    finally:
        stop.set()
        runner_thread.join(timeout=10)
    assert not runner_thread.is_alive()
