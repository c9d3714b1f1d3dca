"""Key facts a verifier needs, and the signer abstraction: no database, no files.

A key id is the lowercase hex SHA-256 of ``algorithm || 0x0A || public key``, modelled on the C2SP
signed-note key hash (``SHA-256(name || 0x0A || sigtype || pubkey)``) but over the algorithm name instead
of a display name, so it stays the same when a holder is renamed and an Ed25519 and an X25519 key with the
same 32 bytes can never share an id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import nacl.signing

from comity.kinds import AuthorityType
from comity.signing.errors import KeyExpired, KeyNotYetValid, KeyRevoked, UnknownKey

#: 64 lowercase hex digits.
KEYID_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class Algorithm(StrEnum):
    """Key algorithms Comity uses, both from libsodium through PyNaCl."""

    ED25519 = "ed25519"  # signatures
    X25519 = "x25519"  # sealed-box encryption


class KeyPurpose(StrEnum):
    """What a registered key may be used for; verifiers state which purposes they accept."""

    TRUST_ANCHOR = "trust_anchor"  # a jurisdiction's root: signs key statements and trust-store manifests
    NODE_SIGNING = "node_signing"  # a node's messages between jurisdictions, delivery receipts, checkpoints
    AUTHORITY_SIGNING = "authority_signing"  # orders and decisions of an authority (police, judge...)
    OFFICER_SIGNING = "officer_signing"  # acts of one officer (custody events, drafts)
    WITNESS_SIGNING = "witness_signing"  # cosignatures of other nodes' log checkpoints
    NODE_ENCRYPTION = "node_encryption"  # X25519: payloads sealed to a node

    @property
    def algorithm(self) -> Algorithm:
        """The algorithm a key of this purpose must use."""
        return Algorithm.X25519 if self is KeyPurpose.NODE_ENCRYPTION else Algorithm.ED25519


#: Purposes whose holder is an authority (the authority type is then a registered, signed fact).
AUTHORITY_PURPOSES: frozenset[KeyPurpose] = frozenset(
    {KeyPurpose.AUTHORITY_SIGNING, KeyPurpose.OFFICER_SIGNING}
)


class RevocationReason(StrEnum):
    """Why a key stopped being valid; the reason codes of RFC 5280 §5.3.1 that apply to Comity."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"  # rotation: a successor key took over at the cut-over
    CESSATION_OF_OPERATION = "cessation_of_operation"


def compute_keyid(algorithm: Algorithm, public_key: bytes) -> str:
    """The key id of ``public_key`` (see the module docstring)."""
    if len(public_key) != 32:
        raise ValueError(f"{algorithm.value} public keys are 32 bytes, got {len(public_key)}")
    return hashlib.sha256(algorithm.value.encode("ascii") + b"\n" + public_key).hexdigest()


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a key. ``authority_type`` is set exactly when the holder acts as an authority."""

    jurisdiction: str
    organisation: str | None = None
    authority_type: AuthorityType | None = None
    officer: str | None = None  # a user id, never a name: the trust store is public

    def describe(self) -> str:
        """A short human description for messages, e.g. ``IE police org_1``."""
        parts = [self.jurisdiction]
        if self.authority_type is not None:
            parts.append(self.authority_type.value)
        if self.organisation:
            parts.append(self.organisation)
        if self.officer:
            parts.append(f"officer {self.officer}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """Everything a verifier knows about one key, taken from signed statements only."""

    keyid: str
    algorithm: Algorithm
    public_key: bytes
    purpose: KeyPurpose
    holder: Holder
    anchor: str | None  # key id of the anchor that registered it; None for an anchor itself
    valid_from: datetime | None = None  # None: no lower bound (anchors)
    valid_until: datetime | None = None  # exclusive; None: no upper bound (anchors)
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None
    replaced_by: str | None = None

    def check_valid_at(self, at: datetime) -> None:
        """Raise the precise error when this key may not be relied on at ``at``."""
        if self.revoked_at is not None and at >= self.revoked_at:
            if self.revocation_reason is RevocationReason.SUPERSEDED:
                successor = f" by {self.replaced_by}" if self.replaced_by else ""
                raise KeyRevoked(
                    f"key {self.keyid} was superseded{successor} at {self.revoked_at.isoformat()}; "
                    f"not valid at {at.isoformat()}",
                    keyid=self.keyid,
                )
            reason = self.revocation_reason.value if self.revocation_reason else "unspecified"
            raise KeyRevoked(
                f"key {self.keyid} was revoked ({reason}) at {self.revoked_at.isoformat()}; "
                f"not valid at {at.isoformat()}",
                keyid=self.keyid,
            )
        if self.valid_from is not None and at < self.valid_from:
            raise KeyNotYetValid(
                f"key {self.keyid} is valid from {self.valid_from.isoformat()}, not at {at.isoformat()}",
                keyid=self.keyid,
            )
        if self.valid_until is not None and at >= self.valid_until:
            raise KeyExpired(
                f"key {self.keyid} expired at {self.valid_until.isoformat()}; not valid at {at.isoformat()}",
                keyid=self.keyid,
            )


class KeyResolver(Protocol):
    """Where a verifier looks keys up. ``lookup`` raises :class:`UnknownKey` (or why it is untrusted)."""

    def lookup(self, keyid: str) -> KeyInfo:
        """The key with ``keyid``, whatever its validity period (checked by the verifier)."""
        ...


class KeyRing:
    """A resolver over a fixed set of :class:`KeyInfo` (tests, node-local verification)."""

    def __init__(self, keys: Iterable[KeyInfo]) -> None:
        self._keys = {k.keyid: k for k in keys}

    def lookup(self, keyid: str) -> KeyInfo:
        """The key with ``keyid``, or :class:`UnknownKey`."""
        try:
            return self._keys[keyid]
        except KeyError:
            raise UnknownKey(f"no trusted key has id {keyid[:80]!r}", keyid=keyid[:80]) from None

    def resolve(self, keyid: str, at: datetime) -> KeyInfo:
        """The key with ``keyid`` if it may be relied on at ``at``, else the precise error."""
        info = self.lookup(keyid)
        info.check_valid_at(at)
        return info

    def __len__(self) -> int:
        return len(self._keys)


class Signer(Protocol):
    """Anything that signs with an Ed25519 key Comity knows by ``keyid``."""

    @property
    def keyid(self) -> str:
        """The key id of the signing key (see :func:`compute_keyid`)."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        ...


class Ed25519Signer:
    """A :class:`Signer` over a PyNaCl (libsodium) Ed25519 signing key held in memory."""

    def __init__(self, key: nacl.signing.SigningKey) -> None:
        self._key = key
        self._public = bytes(key.verify_key)
        self._keyid = compute_keyid(Algorithm.ED25519, self._public)

    @classmethod
    def generate(cls) -> Ed25519Signer:
        """A fresh random key (libsodium's CSPRNG)."""
        return cls(nacl.signing.SigningKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519Signer:
        """The key whose 32-byte private seed is ``seed``."""
        return cls(nacl.signing.SigningKey(seed))

    @property
    def keyid(self) -> str:
        """The key id of this key."""
        return self._keyid

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return self._public

    @property
    def seed(self) -> bytes:
        """The 32-byte private seed (for the keystore only)."""
        return bytes(self._key)

    def sign(self, message: bytes) -> bytes:
        """The detached 64-byte signature of ``message``."""
        return bytes(self._key.sign(message).signature)

    def __repr__(self) -> str:
        # Never print key material, even by accident in a log line or a test failure.
        return f"Ed25519Signer(keyid={self._keyid[:16]}...)"
