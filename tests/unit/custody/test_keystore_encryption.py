"""Encryption at rest of the node keystore (officers' custody keys live there): Argon2id + SecretBox."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import nacl.pwhash
import pytest

from comity.config import Settings
from comity.errors import ConfigurationError
from comity.keys.keystore import PASSPHRASE_ENV, Keystore
from comity.signing.keys import Ed25519Signer

#: The cheapest Argon2id cost, so the tests stay fast (a real keystore records libsodium's "moderate").
FAST = (nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN)


def test_a_passphrase_keystore_encrypts_key_files(tmp_path: Path) -> None:
    store = Keystore(tmp_path, passphrase="correct horse battery staple", kdf_limits=FAST)
    signer = store.generate_signing_key()
    raw = (tmp_path / f"{signer.keyid}.json").read_bytes()
    document = json.loads(raw)
    assert document["format"] == "comity-private-key/v2"
    assert "private_key" not in document
    assert signer.seed not in raw
    assert base64.b64encode(signer.seed) not in raw
    header = json.loads((tmp_path / "keystore.json").read_bytes())
    assert header["protection"] == "passphrase"
    assert header["kdf"]["algorithm"] == "argon2id"
    assert (header["kdf"]["opslimit"], header["kdf"]["memlimit"]) == FAST
    assert not (tmp_path / "master.key").exists()
    reopened = Keystore(tmp_path, passphrase="correct horse battery staple")
    assert reopened.signer(signer.keyid).sign(b"m") == signer.sign(b"m")


def test_a_wrong_or_missing_passphrase_fails_cleanly(tmp_path: Path) -> None:
    signer = Keystore(tmp_path, passphrase="right", kdf_limits=FAST).generate_signing_key()
    with pytest.raises(ConfigurationError, match=r"wrong keystore passphrase \(COMITY_KEYSTORE_PASSPHRASE\)"):
        Keystore(tmp_path, passphrase="wrong").signer(signer.keyid)
    with pytest.raises(ConfigurationError, match="protected by a passphrase: set COMITY_KEYSTORE_PASSPHRASE"):
        Keystore(tmp_path).signer(signer.keyid)
    with pytest.raises(ConfigurationError, match="wrong keystore passphrase"):
        Keystore(tmp_path, passphrase="wrong").generate_signing_key()  # nothing is written under it
    assert len(list(tmp_path.glob("*.json"))) == 2  # the header and the one key


def test_without_a_passphrase_a_master_key_is_generated(tmp_path: Path) -> None:
    store = Keystore(tmp_path)
    signer = store.generate_signing_key()
    master = tmp_path / "master.key"
    assert master.stat().st_mode & 0o777 == 0o600
    assert len(master.read_bytes()) == 32
    assert signer.seed not in (tmp_path / f"{signer.keyid}.json").read_bytes()
    assert Keystore(tmp_path).signer(signer.keyid).keyid == signer.keyid
    with pytest.raises(ConfigurationError, match="unset COMITY_KEYSTORE_PASSPHRASE"):
        Keystore(tmp_path, passphrase="late").signer(signer.keyid)
    master.write_bytes(os.urandom(32))  # another master key cannot open these files
    with pytest.raises(ConfigurationError, match="is not the master key of this keystore"):
        Keystore(tmp_path).signer(signer.keyid)


def test_the_passphrase_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "from the environment")
    settings = Settings(home=tmp_path)
    store = Keystore.for_settings(settings)
    # Lower the cost before the first write records it (the default is libsodium's "moderate").
    store._kdf_limits = FAST
    key = store.generate_encryption_key()
    monkeypatch.delenv(PASSPHRASE_ENV)
    with pytest.raises(ConfigurationError, match="set COMITY_KEYSTORE_PASSPHRASE"):
        Keystore.for_settings(settings).generate_signing_key()
    monkeypatch.setenv(PASSPHRASE_ENV, "from the environment")
    assert bytes(Keystore.for_settings(settings).encryption_key(_x25519_keyid(key))) == bytes(key)


def _x25519_keyid(key: object) -> str:
    from comity.signing.keys import Algorithm, compute_keyid

    return compute_keyid(Algorithm.X25519, bytes(key.public_key))  # type: ignore[attr-defined]


def test_plaintext_files_written_before_encryption_are_still_read(tmp_path: Path) -> None:
    legacy = Ed25519Signer.generate()
    tmp_path.chmod(0o700)
    path = tmp_path / f"{legacy.keyid}.json"
    path.write_text(
        json.dumps(
            {
                "format": "comity-private-key/v1",
                "keyid": legacy.keyid,
                "algorithm": "ed25519",
                "private_key": base64.b64encode(legacy.seed).decode(),
            }
        )
    )
    path.chmod(0o600)
    secret = tmp_path / "secrets" / "pseudonym-eev-ie-fr-v1.key"
    secret.parent.mkdir(mode=0o700)
    secret.write_bytes(b"s" * 32)
    secret.chmod(0o600)
    store = Keystore(tmp_path)
    assert store.signer(legacy.keyid).keyid == legacy.keyid
    assert store.secret_for("eev-ie-fr", 1) == b"s" * 32


def test_pseudonym_secrets_are_sealed_too(tmp_path: Path) -> None:
    store = Keystore(tmp_path, passphrase="p", kdf_limits=FAST)
    secret = store.secret_for("mla-ie-de", 2)
    on_disk = (tmp_path / "secrets" / "pseudonym-mla-ie-de-v2.key").read_bytes()
    assert len(on_disk) == 72
    assert secret not in on_disk
    assert Keystore(tmp_path, passphrase="p").secret_for("mla-ie-de", 2) == secret
    with pytest.raises(ConfigurationError, match="wrong keystore passphrase"):
        Keystore(tmp_path, passphrase="q").secret_for("mla-ie-de", 2)
