"""The one signing envelope of Comity, modelled on DSSE v1.0.

An envelope is ``{"payload": base64(bytes), "payloadType": type, "signatures": [{"keyid", "sig"}]}``. Each
signature is Ed25519 over the DSSE pre-authentication encoding (PAE) of the payload type and the exact
payload bytes, never over re-serialised JSON::

    PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body

Comity's domain separation is the payload type: every type Comity signs is ``application/vnd.comity.<kind>``
(see :class:`PayloadType`), and a verifier states the one type it expects, so an order can never be passed
off as a receipt or a key statement.

Usage::

    envelope = sign(payload_bytes, PayloadType.ORDER, signer)
    wire = envelope.to_json()
    verified = verify(Envelope.from_json(wire), keys=trust_store, expected_type=PayloadType.ORDER,
                      purposes={KeyPurpose.AUTHORITY_SIGNING}, at=clock.now())
    verified.payload, verified.key.holder.authority_type

Every failure raises a subclass of :class:`comity.errors.VerificationError`; success returns the verified
payload. There is no boolean result a caller could forget to check.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import nacl.exceptions
import nacl.signing

from comity.clock import ensure_utc
from comity.signing.errors import (
    BadSignature,
    MalformedEnvelope,
    UnexpectedPayloadType,
    UnknownKey,
    WrongKeyPurpose,
)
from comity.signing.keys import KEYID_PATTERN, Algorithm, KeyInfo, KeyPurpose, KeyResolver, Signer
from comity.signing.payload import Fields, b64encode, canonical_json, loads_strict, parse_object

# Limits against resource exhaustion by hostile input; C2SP signed-note asks verifiers to accept at least
# 16 signatures, which is also far more than any Comity object carries (issuer + validator + witnesses).
MAX_ENVELOPE_BYTES = 16 * 1024 * 1024
MAX_SIGNATURES = 16
MAX_PAYLOAD_TYPE_LENGTH = 200

#: The shape of every payload type Comity signs (its domain separation).
COMITY_TYPE_PATTERN = re.compile(r"^application/vnd\.comity\.[a-z0-9]+(?:[.-][a-z0-9]+)*(?:\+[a-z0-9]+)?$")
_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]+$")
_ED25519_SIGNATURE_LENGTH = 64


class PayloadType(StrEnum):
    """Payload types Comity signs. Other capabilities may sign further ``application/vnd.comity.*`` types."""

    ORDER = "application/vnd.comity.order+json"
    CUSTODY_EVENT = "application/vnd.comity.custody-event+json"
    RECEIPT = "application/vnd.comity.receipt+json"
    NOTICE = "application/vnd.comity.notice+json"
    CHECKPOINT = "application/vnd.comity.checkpoint+json"
    KEY_REGISTRATION = "application/vnd.comity.key-registration+json"
    KEY_REVOCATION = "application/vnd.comity.key-revocation+json"
    TRUST_STORE_MANIFEST = "application/vnd.comity.trust-store-manifest+json"
    MESSAGE = "application/vnd.comity.message+json"
    DELIVERY_EVIDENCE = "application/vnd.comity.delivery-evidence+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding of ``payload_type`` and ``payload``.

    Lengths are byte lengths in ASCII decimal; payload types are ASCII, so characters and bytes agree.
    """
    type_bytes = payload_type.encode("ascii")
    return b"DSSEv1 %d %s %d %s" % (len(type_bytes), type_bytes, len(payload), payload)


@dataclass(frozen=True, slots=True)
class Signature:
    """One signature of an envelope: the signer's key id and the raw 64-byte Ed25519 signature."""

    keyid: str
    sig: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    """A signed payload: the exact bytes, their type and one or more signatures over their PAE."""

    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def to_obj(self) -> dict[str, Any]:
        """The DSSE JSON object (for embedding an envelope inside another JSON document)."""
        return {
            "payload": b64encode(self.payload),
            "payloadType": self.payload_type,
            "signatures": [{"keyid": s.keyid, "sig": b64encode(s.sig)} for s in self.signatures],
        }

    def to_json(self) -> bytes:
        """The envelope as compact, canonical JSON bytes (what is stored and sent)."""
        return canonical_json(self.to_obj())

    @classmethod
    def from_json(cls, data: bytes | str) -> Envelope:
        """Parse an envelope strictly; anything malformed raises :class:`MalformedEnvelope`."""
        size = len(data)
        if size > MAX_ENVELOPE_BYTES:
            raise MalformedEnvelope(f"envelope of {size} bytes exceeds the limit of {MAX_ENVELOPE_BYTES}")
        return cls.from_obj(loads_strict(data, what="envelope", error=MalformedEnvelope))

    @classmethod
    def from_obj(cls, value: object) -> Envelope:
        """Build an envelope from an already-parsed JSON value, as strictly as :meth:`from_json`."""
        top = Fields(value, path="envelope", error=MalformedEnvelope)
        top.only(("payload", "payloadType", "signatures"))
        payload_type = top.text("payloadType")
        if len(payload_type) > MAX_PAYLOAD_TYPE_LENGTH or not _PRINTABLE_ASCII.match(payload_type):
            raise MalformedEnvelope("envelope.payloadType: expected a printable ASCII media type")
        payload = top.b64("payload")
        raw_signatures = top.array("signatures")
        if not raw_signatures:
            raise MalformedEnvelope("envelope.signatures: at least one signature is required")
        if len(raw_signatures) > MAX_SIGNATURES:
            raise MalformedEnvelope(f"envelope.signatures: more than {MAX_SIGNATURES} signatures")
        signatures: list[Signature] = []
        for index, raw in enumerate(raw_signatures):
            entry = Fields(raw, path=f"envelope.signatures[{index}]", error=MalformedEnvelope)
            entry.only(("keyid", "sig"))
            keyid = entry.text("keyid", pattern=KEYID_PATTERN)
            sig = entry.b64("sig")
            if len(sig) != _ED25519_SIGNATURE_LENGTH:
                raise MalformedEnvelope(
                    f"envelope.signatures[{index}].sig: Ed25519 signatures are 64 bytes, got {len(sig)}"
                )
            if any(s.keyid == keyid for s in signatures):
                # One key counted twice could fake a quorum of signers.
                raise MalformedEnvelope(f"envelope.signatures[{index}].keyid: key {keyid} signs twice")
            signatures.append(Signature(keyid=keyid, sig=sig))
        return cls(payload_type=payload_type, payload=payload, signatures=tuple(signatures))


def _check_comity_type(payload_type: str) -> None:
    if not COMITY_TYPE_PATTERN.match(payload_type):
        raise ValueError(f"payload type {payload_type!r} is not application/vnd.comity.<kind>")


def sign(payload: bytes, payload_type: str, signer: Signer) -> Envelope:
    """Sign the exact ``payload`` bytes as ``payload_type`` with ``signer``."""
    _check_comity_type(payload_type)
    sig = signer.sign(pae(payload_type, payload))
    return Envelope(payload_type=payload_type, payload=payload, signatures=(Signature(signer.keyid, sig),))


def cosign(envelope: Envelope, signer: Signer) -> Envelope:
    """Add ``signer``'s signature (a validating authority, a witness) to an existing envelope."""
    if any(s.keyid == signer.keyid for s in envelope.signatures):
        raise ValueError(f"key {signer.keyid} already signed this envelope")
    if len(envelope.signatures) >= MAX_SIGNATURES:
        raise ValueError(f"an envelope carries at most {MAX_SIGNATURES} signatures")
    sig = signer.sign(pae(envelope.payload_type, envelope.payload))
    return Envelope(
        payload_type=envelope.payload_type,
        payload=envelope.payload,
        signatures=(*envelope.signatures, Signature(signer.keyid, sig)),
    )


@dataclass(frozen=True, slots=True)
class VerifiedPayload:
    """What verification proved: these exact bytes, of this type, signed by these keys."""

    payload_type: str
    payload: bytes
    signers: tuple[KeyInfo, ...]

    @property
    def key(self) -> KeyInfo:
        """The first verified signer (the only one for most Comity objects)."""
        return self.signers[0]

    def fields(self) -> Fields:
        """The payload parsed as one strict JSON object (raises ``MalformedPayload``)."""
        return parse_object(self.payload, what=self.payload_type)


def verify(
    envelope: Envelope | bytes,
    *,
    keys: KeyResolver,
    expected_type: str,
    purposes: Collection[KeyPurpose],
    at: datetime,
    ignore_unknown: bool = False,
) -> VerifiedPayload:
    """Verify ``envelope`` and return its payload, or raise the precise ``VerificationError``.

    Steps: (1) the payload type is the one expected; for each signature (2) the key is known to ``keys``,
    (3) it is an Ed25519 key, (4) the signature verifies over the PAE, (5) the key was valid at ``at``
    (not before its validity, not after its expiry or revocation), (6) its purpose is one of ``purposes``.
    Every signature must pass; with ``ignore_unknown`` (witness cosignatures, C2SP signed-note style)
    signatures by unknown keys are skipped, but at least one known key must verify.

    ``at`` is the instant the keys must have been valid: now for a live message, the attested signing time
    for an archived one.
    """
    if isinstance(envelope, bytes):
        envelope = Envelope.from_json(envelope)
    if not purposes:
        # An empty purpose set would accept any key; almost certainly a caller bug, so fail closed.
        raise ValueError("verify() needs at least one acceptable key purpose")
    at = ensure_utc(at)
    if not envelope.signatures:
        raise MalformedEnvelope("envelope.signatures: at least one signature is required")
    # (1) Type confusion is refused before any key is looked up.
    if envelope.payload_type != expected_type:
        raise UnexpectedPayloadType(
            f"expected payload type {expected_type}, got {envelope.payload_type[:MAX_PAYLOAD_TYPE_LENGTH]}",
            expected=expected_type,
        )
    message = pae(envelope.payload_type, envelope.payload)
    signers: list[KeyInfo] = []
    first_unknown: UnknownKey | None = None
    for signature in envelope.signatures:
        # (2)
        try:
            info = keys.lookup(signature.keyid)
        except UnknownKey as exc:
            if not ignore_unknown:
                raise
            first_unknown = first_unknown or exc
            continue
        # (3)
        if info.algorithm is not Algorithm.ED25519:
            raise WrongKeyPurpose(
                f"key {info.keyid} is an {info.algorithm.value} {info.purpose.value} key and cannot sign",
                keyid=info.keyid,
            )
        # (4) Before validity, so a forgery naming a revoked key reads as a forgery.
        try:
            nacl.signing.VerifyKey(info.public_key).verify(message, signature.sig)
        except nacl.exceptions.BadSignatureError:
            raise BadSignature(
                f"signature by key {info.keyid} does not verify over this {envelope.payload_type} "
                "payload: the payload, its type or the signature was altered",
                keyid=info.keyid,
            ) from None
        # (5)
        info.check_valid_at(at)
        # (6)
        if info.purpose not in purposes:
            wanted = ", ".join(sorted(p.value for p in purposes))
            raise WrongKeyPurpose(
                f"key {info.keyid} is a {info.purpose.value} key of {info.holder.describe()}; "
                f"this {envelope.payload_type} needs a {wanted} key",
                keyid=info.keyid,
            )
        signers.append(info)
    if not signers:
        # Every signature was skipped, so at least one was by an unknown key.
        raise first_unknown or UnknownKey("no signature by a known key")
    return VerifiedPayload(
        payload_type=envelope.payload_type, payload=envelope.payload, signers=tuple(signers)
    )
