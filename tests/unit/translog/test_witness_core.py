"""The witness protocol without HTTP: every C2SP tlog-witness status, and no rollback under races."""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import nacl.signing
import pytest

from comity.translog.tree import MemoryTree
from comity.verify import ED25519, Checkpoint, NoteSignature, NoteVerifier, open_checkpoint
from comity.witness.config import WatchedLog, WitnessKey, generate_key, load_config, load_key
from comity.witness.core import SIZE_MEDIA_TYPE, Witness, WitnessState

ORIGIN = "comity.example/ie/log"
LOG_KEY = nacl.signing.SigningKey(b"\x05" * 32)
LOG = NoteVerifier(ORIGIN, ED25519, bytes(LOG_KEY.verify_key))
TREE = MemoryTree(str(i).encode() for i in range(40))


def note(
    size: int, *, tree: MemoryTree = TREE, key: nacl.signing.SigningKey = LOG_KEY, origin: str = ORIGIN
) -> str:
    text = Checkpoint(origin, size, tree.root(size)).text()
    verifier = NoteVerifier(origin, ED25519, bytes(key.verify_key))
    return text + "\n" + NoteSignature(origin, verifier.key_id, key.sign(text.encode()).signature).line()


def body(
    old: int, new: int, *, tree: MemoryTree = TREE, proof: list[bytes] | None = None, **kw: object
) -> bytes:
    hashes = tree.consistency_proof(old, new) if proof is None else proof
    lines = "".join(base64.b64encode(h).decode() + "\n" for h in hashes)
    return f"old {old}\n{lines}\n{note(new, tree=tree, **kw)}".encode()  # type: ignore[arg-type]


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    key = WitnessKey("witness.example/w1", nacl.signing.SigningKey(b"\x06" * 32))
    return Witness(
        key=key, logs=(WatchedLog(ORIGIN, (LOG,)),), state=WitnessState(tmp_path / "state.sqlite3")
    )


def test_statuses_follow_the_specification(witness: Witness) -> None:
    first = witness.add_checkpoint(body(0, 10))
    assert first.status == 200
    assert first.body.startswith("— witness.example/w1 ")
    opened = open_checkpoint(note(10) + first.body, LOG, witness_vkeys=[witness.key.verifier], quorum=1)
    assert opened.checkpoint.size == 10
    assert witness.add_checkpoint(body(10, 20)).status == 200
    # 409: an old size other than the last cosigned one, with that size as a text/x.tlog.size body.
    stale = witness.add_checkpoint(body(10, 30))
    assert (stale.status, stale.body, stale.media_type) == (409, "20\n", SIZE_MEDIA_TYPE)
    rollback = witness.add_checkpoint(body(0, 15))
    assert (rollback.status, rollback.body) == (409, "20\n")
    fork = MemoryTree([*(str(i).encode() for i in range(19)), b"forked"])
    assert witness.add_checkpoint(body(20, 20, tree=fork)).status == 409  # same size, another root
    assert witness.add_checkpoint(body(20, 20)).status == 200  # the same checkpoint again
    forked_growth = MemoryTree([*(str(i).encode() for i in range(19)), b"forked", *(b"x" for _ in range(5))])
    assert witness.add_checkpoint(body(20, 25, tree=forked_growth)).status == 422
    assert witness.add_checkpoint(body(20, 25, proof=TREE.consistency_proof(20, 25)[:-1])).status == 422
    assert witness.add_checkpoint(body(30, 25, proof=[])).status == 400
    assert witness.add_checkpoint(body(0, 5, origin="comity.example/xx/log")).status == 404
    assert witness.add_checkpoint(body(20, 25, key=nacl.signing.SigningKey(b"\x07" * 32))).status == 403
    assert witness.add_checkpoint(b"old 020\n\n" + note(25).encode()).status == 400
    assert witness.add_checkpoint(b"garbage").status == 400
    assert witness.state.latest(ORIGIN)[0] == 20


def test_racing_requests_never_roll_the_witness_back(witness: Witness) -> None:
    assert witness.add_checkpoint(body(0, 10)).status == 200
    statuses: list[int] = []

    def submit(new: int) -> None:
        statuses.append(witness.add_checkpoint(body(10, new)).status)

    threads = [threading.Thread(target=submit, args=(n,)) for n in (15, 25, 35)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409]
    size, _ = witness.state.latest(ORIGIN)
    assert size in (15, 25, 35)
    assert WitnessState(witness.state.path).latest(ORIGIN)[0] == size  # persisted


def test_config_and_key_files(tmp_path: Path) -> None:
    key = generate_key(tmp_path / "w.key", name="witness.example/w2")
    assert load_key(tmp_path / "w.key").verifier == key.verifier
    (tmp_path / "w.toml").write_text(
        'name = "witness.example/w2"\nkey_file = "w.key"\nstate_file = "s.db"\nport = 9\n'
        f'[[log]]\nvkey = "{LOG.vkey}"\n'
    )
    config = load_config(tmp_path / "w.toml")
    assert config.logs[0].origin == ORIGIN
    assert config.port == 9
    assert config.key_file == tmp_path / "w.key"
    from comity.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        generate_key(tmp_path / "w.key", name="witness.example/w2")
    (tmp_path / "w.key").chmod(0o644)
    with pytest.raises(ConfigurationError, match="readable by other users"):
        load_key(tmp_path / "w.key")


def test_the_http_app_speaks_the_protocol(witness: Witness) -> None:
    from fastapi.testclient import TestClient

    from comity.witness.app import MAX_BODY, create_witness_app

    client = TestClient(create_witness_app(witness))
    assert client.get("/vkey").text.strip() == witness.key.verifier.vkey
    assert client.post("/add-checkpoint", content=body(0, 10)).status_code == 200
    conflict = client.post("/add-checkpoint", content=body(0, 12))
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == SIZE_MEDIA_TYPE
    assert conflict.text == "10\n"
    assert client.post("/add-checkpoint", content=b"x" * (MAX_BODY + 1)).status_code == 413
