"""The statements a trust anchor signs: key registrations, revocations and trust-store manifests.

Each is a small JSON payload written once with :func:`canonical_json`, signed in the one Comity envelope,
and read back strictly from the exact bytes that verified. The trust store a platform pins is nothing but
these statements plus the anchors' public keys.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from comity.kinds import AuthorityType
from comity.signing.envelope import Envelope, PayloadType, pae
from comity.signing.errors import MalformedPayload
from comity.signing.keys import KEYID_PATTERN, Algorithm, Holder, KeyPurpose, RevocationReason, compute_keyid
from comity.signing.payload import Fields, b64encode, canonical_json, format_time, parse_object

JURISDICTION_PATTERN = re.compile(r"^[A-Z]{2}$")
_DIGEST_PATTERN = KEYID_PATTERN  # also 64 lowercase hex digits
_REASON_LIMIT = 500
E = TypeVar("E", bound=StrEnum)


def statement_digest(envelope: Envelope) -> str:
    """SHA-256 (hex) of the statement's PAE: binds the payload and its type, not the signatures."""
    return hashlib.sha256(pae(envelope.payload_type, envelope.payload)).hexdigest()


def _enum(fields: Fields, key: str, enum: type[E]) -> E:
    value = fields.text(key)
    try:
        return enum(value)
    except ValueError:
        raise MalformedPayload(f"{key}: unknown {enum.__name__} {value[:40]!r}") from None


def _opt_enum(fields: Fields, key: str, enum: type[E]) -> E | None:
    return None if fields.raw(key) is None else _enum(fields, key, enum)


@dataclass(frozen=True, slots=True)
class Registration:
    """An anchor's statement that ``keyid`` is ``holder``'s key for ``purpose`` during a period."""

    jurisdiction: str
    anchor: str
    keyid: str
    algorithm: Algorithm
    public_key: bytes
    purpose: KeyPurpose
    holder: Holder
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    replaces: str | None = None

    def to_payload(self) -> bytes:
        """The exact bytes the anchor signs."""
        return canonical_json(
            {
                "jurisdiction": self.jurisdiction,
                "anchor": self.anchor,
                "keyid": self.keyid,
                "algorithm": self.algorithm.value,
                "public_key": b64encode(self.public_key),
                "purpose": self.purpose.value,
                "holder": {
                    "organisation": self.holder.organisation,
                    "authority_type": self.holder.authority_type.value
                    if self.holder.authority_type
                    else None,
                    "officer": self.holder.officer,
                },
                "valid_from": format_time(self.valid_from),
                "valid_until": format_time(self.valid_until),
                "issued_at": format_time(self.issued_at),
                "replaces": self.replaces,
            }
        )

    @classmethod
    def from_payload(cls, payload: bytes) -> Registration:
        """Read a registration strictly; checks that the key id is the hash of the public key."""
        top = parse_object(payload, what="key registration")
        top.only(
            (
                "jurisdiction",
                "anchor",
                "keyid",
                "algorithm",
                "public_key",
                "purpose",
                "holder",
                "valid_from",
                "valid_until",
                "issued_at",
            ),
            ("replaces",),
        )
        holder = top.obj("holder").only((), ("organisation", "authority_type", "officer"))
        jurisdiction = top.text("jurisdiction", pattern=JURISDICTION_PATTERN)
        algorithm = _enum(top, "algorithm", Algorithm)
        purpose = _enum(top, "purpose", KeyPurpose)
        registration = cls(
            jurisdiction=jurisdiction,
            anchor=top.text("anchor", pattern=KEYID_PATTERN),
            keyid=top.text("keyid", pattern=KEYID_PATTERN),
            algorithm=algorithm,
            public_key=top.b64("public_key"),
            purpose=purpose,
            holder=Holder(
                jurisdiction=jurisdiction,
                organisation=holder.opt_text("organisation"),
                authority_type=_opt_enum(holder, "authority_type", AuthorityType),
                officer=holder.opt_text("officer"),
            ),
            valid_from=top.instant("valid_from"),
            valid_until=top.instant("valid_until"),
            issued_at=top.instant("issued_at"),
            replaces=top.opt_text("replaces", pattern=KEYID_PATTERN),
        )
        if purpose.algorithm is not algorithm:
            raise MalformedPayload(f"purpose {purpose.value} needs an {purpose.algorithm.value} key")
        if len(registration.public_key) != 32:
            raise MalformedPayload("public_key: expected 32 bytes")
        if compute_keyid(algorithm, registration.public_key) != registration.keyid:
            raise MalformedPayload(f"keyid {registration.keyid} is not the hash of the public key")
        if registration.valid_until <= registration.valid_from:
            raise MalformedPayload("valid_until: must be after valid_from")
        return registration


@dataclass(frozen=True, slots=True)
class Revocation:
    """An anchor's statement that ``keyid`` stops being valid at ``revoked_at`` (rotation or revocation)."""

    jurisdiction: str
    anchor: str
    keyid: str
    revoked_at: datetime
    reason: RevocationReason
    comment: str
    issued_at: datetime
    replaced_by: str | None = None

    def to_payload(self) -> bytes:
        """The exact bytes the anchor signs."""
        return canonical_json(
            {
                "jurisdiction": self.jurisdiction,
                "anchor": self.anchor,
                "keyid": self.keyid,
                "revoked_at": format_time(self.revoked_at),
                "reason": self.reason.value,
                "comment": self.comment,
                "issued_at": format_time(self.issued_at),
                "replaced_by": self.replaced_by,
            }
        )

    @classmethod
    def from_payload(cls, payload: bytes) -> Revocation:
        """Read a revocation strictly."""
        top = parse_object(payload, what="key revocation")
        top.only(
            ("jurisdiction", "anchor", "keyid", "revoked_at", "reason", "comment", "issued_at"),
            ("replaced_by",),
        )
        reason = _enum(top, "reason", RevocationReason)
        comment = top.raw("comment")
        if not isinstance(comment, str) or len(comment) > _REASON_LIMIT:
            raise MalformedPayload(f"comment: expected a string of at most {_REASON_LIMIT} characters")
        return cls(
            jurisdiction=top.text("jurisdiction", pattern=JURISDICTION_PATTERN),
            anchor=top.text("anchor", pattern=KEYID_PATTERN),
            keyid=top.text("keyid", pattern=KEYID_PATTERN),
            revoked_at=top.instant("revoked_at"),
            reason=reason,
            comment=comment,
            issued_at=top.instant("issued_at"),
            replaced_by=top.opt_text("replaced_by", pattern=KEYID_PATTERN),
        )


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    keyid: str
    payload_type: str
    digest: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """An anchor's signed list of every statement it exported, so none can be dropped from the file."""

    jurisdiction: str
    anchor: str
    exported_at: datetime
    entries: tuple[ManifestEntry, ...]

    def to_payload(self) -> bytes:
        """The exact bytes the anchor signs."""
        return canonical_json(
            {
                "jurisdiction": self.jurisdiction,
                "anchor": self.anchor,
                "exported_at": format_time(self.exported_at),
                "entries": [
                    {"keyid": e.keyid, "type": e.payload_type, "digest": e.digest} for e in self.entries
                ],
            }
        )

    @classmethod
    def from_payload(cls, payload: bytes) -> Manifest:
        """Read a manifest strictly."""
        top = parse_object(payload, what="trust store manifest")
        top.only(("jurisdiction", "anchor", "exported_at", "entries"))
        entries: list[ManifestEntry] = []
        for index, raw in enumerate(top.array("entries")):
            entry = Fields(raw, path=f"entries[{index}]").only(("keyid", "type", "digest"))
            payload_type = entry.text("type")
            if payload_type not in (PayloadType.KEY_REGISTRATION, PayloadType.KEY_REVOCATION):
                raise MalformedPayload(f"entries[{index}].type: not a key statement type")
            entries.append(
                ManifestEntry(
                    keyid=entry.text("keyid", pattern=KEYID_PATTERN),
                    payload_type=payload_type,
                    digest=entry.text("digest", pattern=_DIGEST_PATTERN),
                )
            )
        return cls(
            jurisdiction=top.text("jurisdiction", pattern=JURISDICTION_PATTERN),
            anchor=top.text("anchor", pattern=KEYID_PATTERN),
            exported_at=top.instant("exported_at"),
            entries=tuple(entries),
        )
