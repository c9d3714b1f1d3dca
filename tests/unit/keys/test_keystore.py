"""The keystore: private keys in 0600 files, never overwritten, refused when others can read them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from comity.errors import ConfigurationError, NotFound
from comity.keys.keystore import Keystore
from comity.signing.keys import Algorithm, compute_keyid


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_signing_key_round_trip_with_private_files(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    signer = store.generate_signing_key()
    path = tmp_path / "keys" / f"{signer.keyid}.json"
    assert _mode(path) == 0o600
    assert _mode(tmp_path / "keys") == 0o700
    assert store.has(signer.keyid)
    loaded = store.signer(signer.keyid)
    assert loaded.keyid == signer.keyid
    assert loaded.sign(b"x") == signer.sign(b"x")  # Ed25519 is deterministic
    assert signer.seed.hex() not in repr(loaded)
    assert signer.keyid[:16] in repr(loaded)
    assert list((tmp_path / "keys").glob(".*.tmp")) == []


def test_encryption_key_round_trip(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    key = store.generate_encryption_key()
    keyid = compute_keyid(Algorithm.X25519, bytes(key.public_key))
    assert bytes(store.encryption_key(keyid)) == bytes(key)
    with pytest.raises(ConfigurationError, match="not a valid ed25519 key file"):
        store.signer(keyid)  # an X25519 file is not a signing key


def test_missing_key(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    with pytest.raises(NotFound, match="not in this node's keystore"):
        store.signer("ab" * 32)
    with pytest.raises(NotFound, match="not a key id"):
        store.signer("../../etc/passwd")
    assert not store.has("../x")


def test_a_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    signer = store.generate_signing_key()
    path = tmp_path / f"{signer.keyid}.json"
    os.chmod(path, 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        store.signer(signer.keyid)


def test_a_file_holding_another_key_is_refused(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    first = store.generate_signing_key()
    second = store.generate_signing_key()
    content = (tmp_path / f"{second.keyid}.json").read_text().replace(second.keyid, first.keyid)
    target = tmp_path / f"{first.keyid}.json"
    os.chmod(target, 0o600)
    target.write_text(content)
    with pytest.raises(ConfigurationError, match="holds another key"):
        store.signer(first.keyid)


def test_key_files_are_never_overwritten(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    signer = store.generate_signing_key()
    with pytest.raises(FileExistsError):
        store._write_new(tmp_path / f"{signer.keyid}.json", b"{}")
    assert store.signer(signer.keyid).keyid == signer.keyid


def test_pseudonym_secrets_are_stable_per_agreement_version(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    first = store.secret_for("eev-ie-fr", 1)
    assert len(first) == 32
    assert store.secret_for("eev-ie-fr", 1) == first
    assert Keystore(tmp_path).secret_for("eev-ie-fr", 1) == first
    assert store.secret_for("eev-ie-fr", 2) != first
    assert store.secret_for("mla-ie-de", 1) != first
    assert _mode(tmp_path / "secrets" / "pseudonym-eev-ie-fr-v1.key") == 0o600
    with pytest.raises(ValueError, match="agreement id"):
        store.secret_for("../escape", 1)
