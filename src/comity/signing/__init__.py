"""Signing and verifying everything Comity signs: one envelope (DSSE-style), one error family.

- :mod:`comity.signing.envelope`: :func:`sign`, :func:`cosign`, :func:`verify`, :class:`Envelope`.
- :mod:`comity.signing.keys`: key ids, :class:`KeyInfo`, :class:`KeyPurpose`, :class:`Signer`, resolvers.
- :mod:`comity.signing.checks`: competence, addressee, expiry and replay checks on verified payloads.
- :mod:`comity.signing.payload`: canonical JSON for signing and strict readers for verified bytes.
- :mod:`comity.signing.errors`: the verification error family, each with a stable ``code``.
"""

from comity.signing.envelope import (
    Envelope,
    PayloadType,
    Signature,
    VerifiedPayload,
    cosign,
    pae,
    sign,
    verify,
)
from comity.signing.keys import (
    Algorithm,
    Ed25519Signer,
    Holder,
    KeyInfo,
    KeyPurpose,
    KeyResolver,
    KeyRing,
    RevocationReason,
    Signer,
    compute_keyid,
)

__all__ = [
    "Algorithm",
    "Ed25519Signer",
    "Envelope",
    "Holder",
    "KeyInfo",
    "KeyPurpose",
    "KeyResolver",
    "KeyRing",
    "PayloadType",
    "RevocationReason",
    "Signature",
    "Signer",
    "VerifiedPayload",
    "compute_keyid",
    "cosign",
    "pae",
    "sign",
    "verify",
]
