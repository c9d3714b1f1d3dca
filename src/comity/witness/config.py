"""The witness's configuration file (TOML) and key file."""

from __future__ import annotations

import base64
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nacl.signing

from comity.errors import ConfigurationError
from comity.verify.errors import LogVerificationError
from comity.verify.note import COSIGNATURE_V1, ED25519, NoteVerifier, parse_vkey, valid_key_name

_KEY_FORMAT = "comity-witness-key/v1"


@dataclass(frozen=True)
class WatchedLog:
    """A log the witness cosigns: its origin and the key(s) its checkpoints must be signed with."""

    origin: str
    keys: tuple[NoteVerifier, ...]


@dataclass(frozen=True)
class WitnessConfig:
    """Everything a witness process needs."""

    name: str
    key_file: Path
    state_file: Path
    logs: tuple[WatchedLog, ...]
    host: str = "127.0.0.1"
    port: int = 7380


def _log(raw: object, number: int) -> WatchedLog:
    if not isinstance(raw, dict) or "vkey" not in raw:
        raise ConfigurationError(f"log {number}: a [[log]] table needs a vkey (comity log vkey)")
    vkeys = raw["vkey"] if isinstance(raw["vkey"], list) else [raw["vkey"]]
    try:
        keys = tuple(parse_vkey(str(v)) for v in vkeys)
    except LogVerificationError as exc:
        raise ConfigurationError(f"log {number}: {exc.detail}") from None
    if not keys or any(k.key_type != ED25519 for k in keys):
        raise ConfigurationError(f"log {number}: log keys must be Ed25519 note keys")
    origin = str(raw.get("origin") or keys[0].name)
    return WatchedLog(origin=origin, keys=keys)


def load_config(path: Path) -> WitnessConfig:
    """Read a witness configuration; relative paths are relative to the file's folder."""
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read witness configuration {path}: {exc}") from None
    base = path.parent
    try:
        name = str(raw["name"])
        key_file = base / str(raw["key_file"])
        state_file = base / str(raw["state_file"])
    except KeyError as exc:
        raise ConfigurationError(f"{path}: missing setting {exc}") from None
    logs = tuple(_log(item, n) for n, item in enumerate(raw.get("log", []), start=1))
    origins = [log.origin for log in logs]
    if len(set(origins)) != len(origins):
        raise ConfigurationError(f"{path}: a log origin is listed twice")
    return WitnessConfig(
        name=name,
        key_file=key_file,
        state_file=state_file,
        logs=logs,
        host=str(raw.get("host", "127.0.0.1")),
        port=int(raw.get("port", 7380)),
    )


@dataclass(frozen=True)
class WitnessKey:
    """The witness's name and Ed25519 signing key."""

    name: str
    signing_key: nacl.signing.SigningKey

    @property
    def verifier(self) -> NoteVerifier:
        """The cosignature/v1 verifier others configure."""
        return NoteVerifier(self.name, COSIGNATURE_V1, bytes(self.signing_key.verify_key))


def generate_key(path: Path, *, name: str) -> WitnessKey:
    """Create a new witness key file (mode 0600, never overwriting one)."""
    if not valid_key_name(name):
        raise ConfigurationError(f"invalid witness name {name!r}: no spaces or '+'")
    key = nacl.signing.SigningKey.generate()
    document = {"format": _KEY_FORMAT, "name": name, "seed": base64.b64encode(bytes(key)).decode("ascii")}
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigurationError(f"{path} exists: a witness key is never overwritten") from None
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle)
        handle.flush()
        os.fsync(handle.fileno())
    return WitnessKey(name=name, signing_key=key)


def load_key(path: Path, *, name: str | None = None) -> WitnessKey:
    """Read a witness key file; refuse one that other users can read, or one of another name."""
    try:
        if path.stat().st_mode & 0o077:
            raise ConfigurationError(f"{path} is readable by other users; run: chmod 600 {path}")
        document = json.loads(path.read_text("utf-8"))
        if document.get("format") != _KEY_FORMAT:
            raise ValueError(f"not a {_KEY_FORMAT} file")
        key = WitnessKey(
            name=str(document["name"]),
            signing_key=nacl.signing.SigningKey(base64.b64decode(document["seed"])),
        )
    except ConfigurationError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigurationError(f"cannot read witness key {path}: {exc}") from None
    if name is not None and key.name != name:
        raise ConfigurationError(f"{path} is the key of {key.name!r}, not {name!r}")
    return key
