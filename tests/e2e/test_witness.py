"""A real witness process on a loopback port cosigns the node's log, then refuses its rollback and fork.

The node's database is "restored from a backup" (the log cut back to an earlier checkpoint) and then grows
again with other events: the witness, which cosigned the larger tree, answers 409 each time, the node
raises the split-view alert for oversight, and the witness keeps its state across a restart.
"""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select

from comity.alerts.model import Alert
from comity.audit import service as audit
from comity.audit.model import AuditEvent
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.signing.keys import KeyPurpose
from comity.translog import service as log
from comity.translog.model import ActorSaltRow, CheckpointRow, CosignatureRow, EntryRow, NodeRow, StateRow
from comity.translog.store import require_nodes
from comity.translog.tree import LEVEL_SHIFT, perfect_cover, range_root
from comity.verify import verify_checkpoint
from comity.web.container import Container

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "comity.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def node(container: Container) -> Container:
    with container.transaction() as session:
        keystore = Keystore.for_settings(container.settings)
        keys.create_anchor(
            session, clock=container.clock, actor=SYSTEM_ACTOR, keystore=keystore, jurisdiction="IE"
        )
        keys.register_key(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            keystore=keystore,
            jurisdiction="IE",
            purpose=KeyPurpose.NODE_SIGNING,
        )
    return container


class WitnessProcess:
    """``comity witness serve`` as a child process, its output in a file beside its configuration."""

    def __init__(self, config: Path, port: int) -> None:
        self.config, self.port = config, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with (self.config.parent / "witness.out").open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "comity.cli.main", "witness", "serve", "--config", str(self.config)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the witness did not start: {(self.config.parent / 'witness.out').read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def witness(node: Container, tmp_path: Path) -> Iterator[tuple[WitnessProcess, str]]:
    keygen = _cli("witness", "keygen", "--name", "witness.example/fr", "--out", str(tmp_path / "witness.key"))
    assert keygen.returncode == 0, keygen.stderr
    witness_vkey = keygen.stdout.strip()
    with node.transaction() as session:
        log_vkey = log.log_vkey(session, settings=node.settings, at=node.clock.now())
    port = _free_port()
    config = tmp_path / "witness.toml"
    config.write_text(
        f'name = "witness.example/fr"\nkey_file = "witness.key"\nstate_file = "state/witness.sqlite3"\n'
        f'port = {port}\n\n[[log]]\nvkey = "{log_vkey}"\n'
    )
    process = WitnessProcess(config, port)
    process.start()
    yield process, witness_vkey
    process.stop()


def _grow(node: Container, n: int, label: str) -> int:
    with node.transaction() as session:
        for i in range(n):
            audit.record(
                session,
                clock=node.clock,
                actor="user_officer",
                tag="tests:evidence:sealed",
                subject_type="evidence",
                subject_id=f"{label}_{i}",
            )
    with node.transaction() as session:
        signer = log.node_log_signer(session, settings=node.settings, clock=node.clock)
    with node.transaction() as session:
        return log.integrate_pending(session, clock=node.clock, signer=signer).tree_size


def _restore_backup_at(node: Container, size: int) -> None:
    """What restoring a database backup taken at ``size`` does to the log (and to the audit rows after it)."""
    with node.transaction() as session:
        seqs = select(EntryRow.audit_seq).where(EntryRow.idx >= size).scalar_subquery()
        session.execute(delete(ActorSaltRow).where(ActorSaltRow.audit_seq.in_(seqs)))
        session.execute(delete(AuditEvent).where(AuditEvent.seq.in_(seqs)))
        session.execute(delete(EntryRow).where(EntryRow.idx >= size))
        for level in range(1, 40):
            first_gone = size >> level  # nodes whose range reaches beyond the backup
            session.execute(
                delete(NodeRow).where(
                    NodeRow.pos >= (level << LEVEL_SHIFT) | first_gone,
                    NodeRow.pos < (level + 1) << LEVEL_SHIFT,
                )
            )
        newer = select(CheckpointRow.id).where(CheckpointRow.size > size).scalar_subquery()
        session.execute(delete(CosignatureRow).where(CosignatureRow.checkpoint_id.in_(newer)))
        session.execute(delete(CheckpointRow).where(CheckpointRow.size > size))
        state = session.get(StateRow, 1)
        assert state is not None
        hashes = require_nodes(session, perfect_cover(0, size))
        state.size, state.root_hash = size, range_root(0, size, hashes)
        state.floor_seq = 0


def _post(url: str, old: int, proof: list[bytes], note: str) -> httpx.Response:
    body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof) + "\n" + note
    return httpx.post(url + "/add-checkpoint", content=body.encode(), timeout=10)


def test_witness_cosigns_then_refuses_rollback_and_fork(node: Container, witness) -> None:  # type: ignore[no-untyped-def]
    process, witness_vkey = witness
    first = _grow(node, 5, "a")
    with node.transaction() as session:
        outcome = log.request_cosignature(
            session, clock=node.clock, witness_url=process.url, witness_vkey=witness_vkey
        )
        log_vkey = log.log_vkey(session, settings=node.settings)
    assert outcome.cosigned
    assert outcome.checkpoint.size == first
    verify_checkpoint(outcome.checkpoint.note, log_vkey, witness_vkeys=[witness_vkey], quorum=1)

    second = _grow(node, 4, "b")
    with node.transaction() as session:
        outcome = log.request_cosignature(
            session, clock=node.clock, witness_url=process.url, witness_vkey=witness_vkey
        )
    assert outcome.cosigned
    assert outcome.checkpoint.size == second
    with node.transaction() as session:
        assert log.latest_checkpoint(session).witnesses == ("witness.example/fr",)  # type: ignore[union-attr]
        log.verify_log(session)

    # The witness's state survives a restart: it was persisted before it answered.
    process.stop()
    process.start()

    # Rolled back: a backup taken at the first checkpoint is restored.
    _restore_backup_at(node, first)
    rolled = _grow(node, 1, "c")  # smaller than what the witness cosigned
    with node.transaction() as session:
        latest = log.latest_checkpoint(session)
        assert latest is not None
        assert latest.size == rolled < second
        answer = _post(
            process.url,
            first,
            list(log.consistency_proof(session, first=first, second=rolled).hashes),
            latest.note,
        )
    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("text/x.tlog.size")
    assert answer.text == f"{second}\n"
    with node.transaction() as session:
        outcome = log.request_cosignature(
            session, clock=node.clock, witness_url=process.url, witness_vkey=witness_vkey
        )
    assert not outcome.cosigned
    assert outcome.witness_size == second

    # Forked: the restored log grows to the size the witness cosigned, with other entries.
    current = _grow(node, 0, "d")  # the rollback alert's own audit event is integrated first
    forked = _grow(node, second - current, "d")
    assert forked == second
    with node.transaction() as session:
        latest = log.latest_checkpoint(session)
        assert latest is not None
        answer = _post(process.url, second, [], latest.note)
    assert answer.status_code == 409
    assert answer.text == f"{second}\n"
    with node.transaction() as session:
        outcome = log.request_cosignature(
            session, clock=node.clock, witness_url=process.url, witness_vkey=witness_vkey
        )
    assert not outcome.cosigned
    assert outcome.refusal is not None
    assert "forked" in outcome.refusal

    with node.transaction() as session:
        alerts = {a.kind: a for a in session.scalars(select(Alert))}
    assert alerts["split_view"].severity == "critical"
    assert alerts["split_view"].audience == "oversight"
    assert "log_rollback" in alerts
