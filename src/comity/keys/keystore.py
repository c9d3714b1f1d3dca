"""Private key material of a node, in files under ``<COMITY_HOME>/keys``; never in the database.

One file per key, named by key id, readable by the node's user only (0600 in a 0700 folder); a file that
others can read is refused, like OpenSSH refuses such identity files. Files are written to a temporary
name and hard-linked into place, so a key file is either complete or absent and never overwritten.

Keys at rest are not yet protected by a passphrase: the federation capability adds that (or keys supplied
by the environment). Per-agreement pseudonymisation secrets live here too, under ``secrets/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
from pathlib import Path

import nacl.public

from comity.config import Settings
from comity.errors import ConfigurationError, NotFound
from comity.signing.keys import KEYID_PATTERN, Algorithm, Ed25519Signer, compute_keyid
from comity.signing.payload import b64decode_strict, b64encode

_FORMAT = "comity-private-key/v1"
_AGREEMENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_SECRET_BYTES = 32  # 256-bit HMAC-SHA-256 keys (RFC 2104: at least the output length)


class Keystore:
    """The private keys and secrets of one node."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def for_settings(cls, settings: Settings) -> Keystore:
        """The keystore of the node configured by ``settings`` (``settings.home / "keys"``)."""
        return cls(settings.home / "keys")

    # -- writing -----------------------------------------------------------------------------------

    def _ensure_dir(self, path: Path) -> None:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir's mode is filtered by the umask; make the folder private whatever the umask was.
        os.chmod(path, 0o700)

    def _write_new(self, path: Path, content: bytes) -> None:
        """Write ``content`` to ``path`` atomically, mode 0600; refuse to replace an existing file."""
        self._ensure_dir(path.parent)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(temporary, path)  # raises FileExistsError rather than overwrite a key
        finally:
            temporary.unlink(missing_ok=True)

    def _key_path(self, keyid: str) -> Path:
        if not KEYID_PATTERN.match(keyid):
            raise NotFound(f"not a key id: {keyid[:80]!r}")
        return self.root / f"{keyid}.json"

    def _save(self, algorithm: Algorithm, public_key: bytes, private_key: bytes) -> str:
        keyid = compute_keyid(algorithm, public_key)
        document = {
            "format": _FORMAT,
            "keyid": keyid,
            "algorithm": algorithm.value,
            "private_key": b64encode(private_key),
        }
        self._write_new(self._key_path(keyid), json.dumps(document, indent=2).encode("utf-8"))
        return keyid

    def generate_signing_key(self) -> Ed25519Signer:
        """Create, store and return a new Ed25519 signing key."""
        signer = Ed25519Signer.generate()
        self._save(Algorithm.ED25519, signer.public_key, signer.seed)
        return signer

    def generate_encryption_key(self) -> nacl.public.PrivateKey:
        """Create, store and return a new X25519 key for sealed boxes."""
        key = nacl.public.PrivateKey.generate()
        self._save(Algorithm.X25519, bytes(key.public_key), bytes(key))
        return key

    # -- reading -----------------------------------------------------------------------------------

    def has(self, keyid: str) -> bool:
        """Whether this node holds the private key of ``keyid``."""
        return KEYID_PATTERN.match(keyid) is not None and self._key_path(keyid).exists()

    def _read_private(self, path: Path, what: str) -> bytes:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise NotFound(f"{what} is not in this node's keystore ({self.root})") from None
        if stat.S_IMODE(mode) & 0o077:
            raise ConfigurationError(
                f"{path} is readable by other users (mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
            )
        return path.read_bytes()

    def _load(self, keyid: str, algorithm: Algorithm) -> bytes:
        path = self._key_path(keyid)
        raw = self._read_private(path, f"the private key of {keyid}")
        try:
            document = json.loads(raw)
            expected = (_FORMAT, keyid, algorithm.value)
            if (document["format"], document["keyid"], document["algorithm"]) != expected:
                raise ValueError(f"header {document['format']}/{document['algorithm']} does not match")
            return b64decode_strict(document["private_key"], field="private_key")
        except Exception as exc:  # any corruption of the file is one and the same configuration error
            raise ConfigurationError(f"{path} is not a valid {algorithm.value} key file: {exc!r}") from None

    def signer(self, keyid: str) -> Ed25519Signer:
        """The signer of ``keyid``; checks that the stored key really is that key."""
        signer = Ed25519Signer.from_seed(self._load(keyid, Algorithm.ED25519))
        if signer.keyid != keyid:
            raise ConfigurationError(f"the key file of {keyid} holds another key ({signer.keyid})")
        return signer

    def encryption_key(self, keyid: str) -> nacl.public.PrivateKey:
        """The X25519 private key of ``keyid``; checks that the stored key really is that key."""
        key = nacl.public.PrivateKey(self._load(keyid, Algorithm.X25519))
        if compute_keyid(Algorithm.X25519, bytes(key.public_key)) != keyid:
            raise ConfigurationError(f"the key file of {keyid} holds another key")
        return key

    # -- pseudonymisation secrets ------------------------------------------------------------------

    def secret_for(self, agreement_id: str, version: int) -> bytes:
        """The HMAC secret pseudonymising identifiers under one agreement version; created on first use.

        Until the federation capability distributes it to the parties, each node has its own, so pseudonyms
        link within a node and an agreement but not yet across nodes.
        """
        if not _AGREEMENT_ID_PATTERN.match(agreement_id) or version < 1:
            raise ValueError(f"not an agreement id and version: {agreement_id[:80]!r} v{version}")
        path = self.root / "secrets" / f"pseudonym-{agreement_id}-v{version}.key"
        # Created earlier, or by another process just now: both must then use the one on disk.
        with contextlib.suppress(FileExistsError):
            self._write_new(path, secrets.token_bytes(_SECRET_BYTES))
        secret = self._read_private(path, f"the pseudonym secret of {agreement_id} v{version}")
        if len(secret) != _SECRET_BYTES:
            raise ConfigurationError(f"{path} is not a {_SECRET_BYTES}-byte secret")
        return secret
