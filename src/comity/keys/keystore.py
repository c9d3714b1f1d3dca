"""Private key material of a node, in files under ``<COMITY_HOME>/keys``; never in the database.

One file per key, named by key id, readable by the node's user only (0600 in a 0700 folder); a file that
others can read is refused, like OpenSSH refuses such identity files. Files are written to a temporary
name and hard-linked into place, so a key file is either complete or absent and never overwritten.

Key material at rest is encrypted with libsodium's SecretBox (XSalsa20-Poly1305, through PyNaCl) under the
keystore key, which comes from one of two places, fixed when the keystore is first written and recorded in
``keystore.json``:

- a passphrase (``COMITY_KEYSTORE_PASSPHRASE``), stretched with Argon2id (``nacl.pwhash``) over a random
  salt kept in ``keystore.json``; a stolen copy of the folder then reveals nothing without the passphrase;
- otherwise a random 256-bit master key generated into ``master.key`` (0600). That protects copies of the
  key files made without the master key (backups, a leaked file) and lets an operator move ``master.key``
  to other storage; it is used directly, since a random key needs no stretching.

``keystore.json`` also holds a sealed check value, so a wrong passphrase fails at once with a plain message
instead of as a corrupt key file. Files written before encryption (format v1, plaintext) are still read.
Node-local per-agreement pseudonymisation secrets live here too, under ``secrets/``, sealed the same way;
the secret box also seals the shared federation pseudonym keys stored in the database
(:meth:`Keystore.seal_secret`, :meth:`Keystore.open_secret`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.public
import nacl.pwhash
import nacl.secret
import nacl.utils

from comity.config import Settings
from comity.errors import ConfigurationError, NotFound, VerificationError
from comity.signing.keys import KEYID_PATTERN, Algorithm, Ed25519Signer, compute_keyid
from comity.signing.payload import b64decode_strict, b64encode

_FORMAT = "comity-private-key/v2"
_LEGACY_FORMAT = "comity-private-key/v1"  # plaintext, written before encryption at rest
_HEADER_FORMAT = "comity-keystore/v1"
_HEADER_NAME = "keystore.json"
_MASTER_KEY_NAME = "master.key"
_CHECK_PLAINTEXT = b"comity-keystore-check/v1"
#: Argon2id cost for a new passphrase keystore: libsodium's "moderate" (3 passes, 256 MiB), paid once per
#: process since the derived key is cached; stored in keystore.json so it can be raised later.
DEFAULT_KDF_LIMITS = (nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE)
PASSPHRASE_ENV = "COMITY_KEYSTORE_PASSPHRASE"  # noqa: S105 (the variable name, not a secret)
_SEALED_SECRET_BYTES = nacl.secret.SecretBox.NONCE_SIZE + nacl.secret.SecretBox.MACBYTES + 32
_AGREEMENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_SECRET_BYTES = 32  # 256-bit HMAC-SHA-256 keys (RFC 2104: at least the output length)


#: Derived keystore keys, per (folder, salt, passphrase digest): Argon2id is deliberately slow, and a node
#: opens its keystore many times per process.
_DERIVED: dict[tuple[str, bytes, bytes], bytes] = {}


class Keystore:
    """The private keys and secrets of one node, encrypted at rest."""

    def __init__(
        self,
        root: Path,
        *,
        passphrase: str | bytes | None = None,
        kdf_limits: tuple[int, int] = DEFAULT_KDF_LIMITS,
    ) -> None:
        self.root = root
        self._passphrase = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
        self._kdf_limits = kdf_limits
        self._box: nacl.secret.SecretBox | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> Keystore:
        """The keystore of the node configured by ``settings`` (``settings.home / "keys"``).

        The passphrase, if any, comes from the environment (``COMITY_KEYSTORE_PASSPHRASE``) and never from
        a settings file, so it is not written next to what it protects.
        """
        return cls(settings.home / "keys", passphrase=os.environ.get(PASSPHRASE_ENV) or None)

    # -- the keystore key --------------------------------------------------------------------------

    def _header_path(self) -> Path:
        return self.root / _HEADER_NAME

    def _secret_box(self) -> nacl.secret.SecretBox:
        """The SecretBox of this keystore; creates the header (and master key) on first use."""
        if self._box is not None:
            return self._box
        header = self._read_header()
        if header is None:
            header = self._create_header()
        key = self._key_from_header(header)
        box = nacl.secret.SecretBox(key)
        try:
            check = b64decode_strict(header.get("check"), field="check")
            if box.decrypt(check) != _CHECK_PLAINTEXT:
                raise nacl.exceptions.CryptoError("check value differs")
        except (nacl.exceptions.CryptoError, ValueError, VerificationError):
            what = (
                f"wrong keystore passphrase ({PASSPHRASE_ENV})"
                if header.get("protection") == "passphrase"
                else f"{self.root / _MASTER_KEY_NAME} is not the master key of this keystore"
            )
            raise ConfigurationError(f"{what}: cannot open {self.root}") from None
        self._box = box
        return box

    def _read_header(self) -> dict[str, Any] | None:
        path = self._header_path()
        if not path.exists():
            return None
        try:
            header = json.loads(path.read_bytes())
            if not isinstance(header, dict) or header.get("format") != _HEADER_FORMAT:
                raise ValueError("not a comity-keystore/v1 header")
        except ValueError as exc:
            raise ConfigurationError(f"{path} is not a valid keystore header: {exc}") from None
        return header

    def _create_header(self) -> dict[str, Any]:
        header: dict[str, Any] = {"format": _HEADER_FORMAT}
        if self._passphrase is not None:
            opslimit, memlimit = self._kdf_limits
            header["protection"] = "passphrase"
            header["kdf"] = {
                "algorithm": "argon2id",
                "salt": b64encode(nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)),
                "opslimit": opslimit,
                "memlimit": memlimit,
            }
        else:
            header["protection"] = "master_key"
        key = self._key_from_header(header)
        header["check"] = b64encode(nacl.secret.SecretBox(key).encrypt(_CHECK_PLAINTEXT))
        try:
            self._write_new(self._header_path(), json.dumps(header, indent=2).encode("utf-8"))
        except FileExistsError:
            # Another process created the keystore first: its header is the one that counts.
            existing = self._read_header()
            assert existing is not None
            return existing
        return header

    def _key_from_header(self, header: dict[str, Any]) -> bytes:
        protection = header.get("protection")
        if protection == "passphrase":
            if self._passphrase is None:
                raise ConfigurationError(
                    f"the keystore {self.root} is protected by a passphrase: set {PASSPHRASE_ENV}"
                )
            try:
                kdf = header["kdf"]
                salt = b64decode_strict(kdf["salt"], field="kdf.salt")
                opslimit, memlimit = int(kdf["opslimit"]), int(kdf["memlimit"])
                if kdf["algorithm"] != "argon2id":
                    raise ValueError(f"unknown KDF {kdf['algorithm']!r}")
            except (KeyError, TypeError, ValueError, VerificationError) as exc:
                raise ConfigurationError(f"{self._header_path()}: bad kdf parameters ({exc})") from None
            cache_key = (str(self.root.resolve()), salt, hashlib.sha256(self._passphrase).digest())
            if cache_key not in _DERIVED:
                _DERIVED[cache_key] = nacl.pwhash.argon2id.kdf(
                    nacl.secret.SecretBox.KEY_SIZE,
                    self._passphrase,
                    salt,
                    opslimit=opslimit,
                    memlimit=memlimit,
                )
            return _DERIVED[cache_key]
        if protection == "master_key":
            if self._passphrase is not None:
                raise ConfigurationError(
                    f"the keystore {self.root} is protected by its master key file, not a passphrase: "
                    f"unset {PASSPHRASE_ENV}"
                )
            return self._master_key()
        raise ConfigurationError(f"{self._header_path()}: unknown protection {protection!r}")

    def _master_key(self) -> bytes:
        path = self.root / _MASTER_KEY_NAME
        # Created earlier, or by another process just now: both must then use the one on disk.
        with contextlib.suppress(FileExistsError):
            if not path.exists():
                self._write_new(path, nacl.utils.random(nacl.secret.SecretBox.KEY_SIZE))
        key = self._read_private(path, "the keystore master key")
        if len(key) != nacl.secret.SecretBox.KEY_SIZE:
            raise ConfigurationError(f"{path} is not a {nacl.secret.SecretBox.KEY_SIZE}-byte master key")
        return key

    def _open_sealed(self, sealed: bytes, what: str) -> bytes:
        try:
            return bytes(self._secret_box().decrypt(sealed))
        except nacl.exceptions.CryptoError:
            raise ConfigurationError(f"{what} does not decrypt with this keystore's key") from None

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
            "sealed_private_key": b64encode(bytes(self._secret_box().encrypt(private_key))),
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
            if (document["keyid"], document["algorithm"]) != (keyid, algorithm.value):
                raise ValueError(f"header {document['format']}/{document['algorithm']} does not match")
            if document["format"] == _LEGACY_FORMAT:
                return b64decode_strict(document["private_key"], field="private_key")
            if document["format"] != _FORMAT:
                raise ValueError(f"unknown format {document['format']!r}")
            sealed = b64decode_strict(document["sealed_private_key"], field="sealed_private_key")
        except Exception as exc:  # any corruption of the file is one and the same configuration error
            raise ConfigurationError(f"{path} is not a valid {algorithm.value} key file: {exc!r}") from None
        return self._open_sealed(sealed, f"the key file {path}")

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

    def seal_secret(self, secret: bytes) -> bytes:
        """``secret`` sealed with this keystore's key (SecretBox), for storing elsewhere (a database row)."""
        return bytes(self._secret_box().encrypt(secret))

    def open_secret(self, sealed: bytes, *, what: str = "a sealed secret") -> bytes:
        """The secret :meth:`seal_secret` sealed; :class:`ConfigurationError` if this keystore did not."""
        return self._open_sealed(sealed, what)

    def secret_for(self, agreement_id: str, version: int) -> bytes:
        """This node's own HMAC secret for one agreement version (a file here); created on first use.

        Node-local: pseudonyms made with it link within this node and agreement only. The in-process
        (single-node) path uses it; federation between nodes does not: it pseudonymises with the key the
        agreement's steward shares with every party (``comity.federation.pseudonyms``), so that exact
        matches link across nodes.
        """
        if not _AGREEMENT_ID_PATTERN.match(agreement_id) or version < 1:
            raise ValueError(f"not an agreement id and version: {agreement_id[:80]!r} v{version}")
        path = self.root / "secrets" / f"pseudonym-{agreement_id}-v{version}.key"
        # Created earlier, or by another process just now: both must then use the one on disk.
        if not path.exists():
            with contextlib.suppress(FileExistsError):
                sealed = self._secret_box().encrypt(secrets.token_bytes(_SECRET_BYTES))
                self._write_new(path, bytes(sealed))
        what = f"the pseudonym secret of {agreement_id} v{version}"
        secret = self._read_private(path, what)
        if len(secret) == _SEALED_SECRET_BYTES:
            secret = self._open_sealed(secret, what)
        # A 32-byte file is a plaintext secret written before encryption at rest; still read as is.
        if len(secret) != _SECRET_BYTES:
            raise ConfigurationError(f"{path} is not a {_SECRET_BYTES}-byte secret")
        return secret
