"""The message between nodes: a signed envelope whose payload is a clear header and a (sealed) body.

Payload (``application/vnd.comity.message+json``)::

    {"message_id", "type", "sender", "recipient", "agreement": {"id", "version"}, "tlp",
     "created_at", "expires_at", "body": {...}}          # or, encrypted to the recipient:
     ... "sealed": {"to": <x25519 key id>, "ciphertext": <base64 sealed box of the body JSON>}

The header stays clear so a receiving node can route, deduplicate and refuse expired or misaddressed
messages before it decrypts anything; the signature covers the exact bytes sent (encrypt-then-sign).
Senders and recipients are jurisdiction codes: one node per jurisdiction (DESIGN §3).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import nacl.public

from comity.signing.checks import require_addressee, require_not_future, require_unexpired
from comity.signing.envelope import PayloadType, sign, verify
from comity.signing.errors import DecryptionFailed, MalformedPayload, WrongSender
from comity.signing.keys import KeyInfo, KeyPurpose, KeyResolver, Signer
from comity.signing.payload import Fields, b64encode, canonical_json, format_time, parse_object
from comity.transport.sealing import open_sealed, seal
from comity.transport.tlp import Tlp

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_JURISDICTION = re.compile(r"^[A-Z]{2}$")
_KEYID = re.compile(r"^[0-9a-f]{64}$")
#: How far a sender's clock may run ahead of ours (the federation issue's "bounded clock-skew window").
DEFAULT_MAX_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Message:
    """A message between two nodes, as its sender built it (the body already minimised)."""

    message_id: str
    kind: str
    sender: str
    recipient: str
    agreement_id: str
    agreement_version: int
    tlp: Tlp
    created_at: datetime
    expires_at: datetime
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message that verified: who signed it, the digest of the bytes received, and the bytes."""

    message: Message
    signer: KeyInfo
    digest: str
    data: bytes


def digest_of(data: bytes) -> str:
    """SHA-256 (hex) of the exact bytes sent: the message's identity for idempotency and receipts."""
    return hashlib.sha256(data).hexdigest()


def encode_message(message: Message, *, signer: Signer, seal_to: KeyInfo | None = None) -> bytes:
    """Serialise, optionally seal the body to ``seal_to``, sign, and return the bytes to send."""
    header: dict[str, Any] = {
        "message_id": message.message_id,
        "type": message.kind,
        "sender": message.sender,
        "recipient": message.recipient,
        "agreement": {"id": message.agreement_id, "version": message.agreement_version},
        "tlp": message.tlp.value,
        "created_at": format_time(message.created_at),
        "expires_at": format_time(message.expires_at),
    }
    body = canonical_json(dict(message.body))
    if seal_to is None:
        header["body"] = dict(message.body)
    else:
        header["sealed"] = {"to": seal_to.keyid, "ciphertext": b64encode(seal(body, recipient=seal_to))}
    return sign(canonical_json(header), PayloadType.MESSAGE, signer).to_json()


def _header(fields: Fields) -> Fields:
    fields.only(
        ("message_id", "type", "sender", "recipient", "agreement", "tlp", "created_at", "expires_at"),
        ("body", "sealed"),
    )
    if (fields.raw("body") is None) == (fields.raw("sealed") is None):
        raise MalformedPayload("message: exactly one of body and sealed is required")
    return fields


def open_message(
    data: bytes,
    *,
    keys: KeyResolver,
    recipient: str,
    at: datetime,
    decryption_keys: Mapping[str, nacl.public.PrivateKey] | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> InboundMessage:
    """Verify and read a message for ``recipient``; every refusal is a precise ``VerificationError``.

    Order: envelope and signature by a node signing key valid now; header shape; the signer is the sender's
    node; addressed to us; not from the future, not expired; then the body is opened.
    """
    verified = verify(
        data, keys=keys, expected_type=PayloadType.MESSAGE, purposes={KeyPurpose.NODE_SIGNING}, at=at
    )
    top = _header(verified.fields())
    sender = top.text("sender", pattern=_JURISDICTION)
    signer = verified.key
    if signer.holder.jurisdiction != sender:
        raise WrongSender(
            f"message claims to come from {sender} but is signed by a node key of "
            f"{signer.holder.jurisdiction}",
            keyid=signer.keyid,
        )
    message_id = top.text("message_id", pattern=_ID)
    require_addressee(
        addressed_to=top.text("recipient", pattern=_JURISDICTION),
        expected=recipient,
        what=f"message {message_id}",
    )
    created_at = top.instant("created_at")
    expires_at = top.instant("expires_at")
    require_not_future(created_at=created_at, at=at, skew=max_skew, what=f"message {message_id}")
    require_unexpired(expires_at=expires_at, at=at, what=f"message {message_id}")
    try:
        tlp = Tlp(top.text("tlp"))
    except ValueError:
        raise MalformedPayload("tlp: not a TLP 2.0 level") from None
    agreement = top.obj("agreement").only(("id", "version"))
    if top.raw("sealed") is not None:
        sealed = top.obj("sealed").only(("to", "ciphertext"))
        to = sealed.text("to", pattern=_KEYID)
        key = (decryption_keys or {}).get(to)
        if key is None:
            raise DecryptionFailed(
                f"message {message_id} is sealed to key {to}, which this node does not hold"
            )
        body = parse_object(open_sealed(sealed.b64("ciphertext"), key=key), what="message body")
        body_map: Mapping[str, Any] = body.as_mapping()
    else:
        body_map = top.mapping("body")
    message = Message(
        message_id=message_id,
        kind=top.text("type", pattern=_KIND),
        sender=sender,
        recipient=recipient,
        agreement_id=agreement.text("id", pattern=_ID),
        agreement_version=agreement.integer("version"),
        tlp=tlp,
        created_at=created_at,
        expires_at=expires_at,
        body=body_map,
    )
    return InboundMessage(message=message, signer=signer, digest=digest_of(data), data=data)
