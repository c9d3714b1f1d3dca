"""The verification error family: every way a signed object can fail to be believed.

Each class derives from :class:`comity.errors.VerificationError` (so the web layer maps it to 422 and the
CLI exits non-zero) and carries a stable ``code`` that tests, the forged-order corpus and API clients
match on; messages are for people and may change, codes may not.
"""

from __future__ import annotations

from typing import Any, ClassVar

from comity.errors import VerificationError


class CodedVerificationError(VerificationError):
    """A verification failure with a stable machine-readable ``code`` (also in problem+json)."""

    code: ClassVar[str] = "verification_failed"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail, code=self.code, **extensions)


class MalformedEnvelope(CodedVerificationError):
    """The envelope is not well-formed (bad JSON, base64, missing or extra fields)."""

    code = "malformed_envelope"


class MalformedPayload(CodedVerificationError):
    """The signed payload does not have the shape its payload type requires."""

    code = "malformed_payload"


class MalformedTrustStore(CodedVerificationError):
    """The trust store file is not well-formed, or its signed manifest does not hold."""

    code = "malformed_trust_store"


class UnexpectedPayloadType(CodedVerificationError):
    """The envelope holds another kind of payload than the verifier expected (type confusion)."""

    code = "unexpected_payload_type"


class UnknownKey(CodedVerificationError):
    """No trusted key has this key id."""

    code = "unknown_key"


class BadSignature(CodedVerificationError):
    """The signature does not verify: the payload, its type or the signature was altered."""

    code = "bad_signature"


class KeyRevoked(CodedVerificationError):
    """The key was revoked (or superseded by rotation) before the instant that matters."""

    code = "key_revoked"


class KeyNotYetValid(CodedVerificationError):
    """The instant that matters is before the key's validity period starts."""

    code = "key_not_yet_valid"


class KeyExpired(CodedVerificationError):
    """The instant that matters is after the key's validity period ended."""

    code = "key_expired"


class UntrustedKey(CodedVerificationError):
    """The key's registration does not chain to a pinned trust anchor (or the chain was tampered)."""

    code = "untrusted_key"


class WrongKeyPurpose(CodedVerificationError):
    """The key is registered for another purpose (an encryption key, a node key on an order...)."""

    code = "wrong_key_purpose"


class NotCompetent(CodedVerificationError):
    """The signer's authority type is not competent for this act (a police key on an order for a judge)."""

    code = "not_competent"


class WrongAddressee(CodedVerificationError):
    """The signed object is addressed to someone else."""

    code = "wrong_addressee"


class WrongSender(CodedVerificationError):
    """The declared sender is not the holder of the key that signed."""

    code = "wrong_sender"


class Expired(CodedVerificationError):
    """The signed object itself (an order, a message) is past its expiry; not about the key."""

    code = "expired"


class IssuedInFuture(CodedVerificationError):
    """The signed object claims a creation time beyond the allowed clock skew."""

    code = "issued_in_future"


class Replayed(CodedVerificationError):
    """This object's id was already accepted (with the same or other content)."""

    code = "replayed"


class DecryptionFailed(CodedVerificationError):
    """A sealed payload could not be opened: not sealed to this node's key, or altered."""

    code = "decryption_failed"


#: Every code of the family, for documentation and for tests that the codes stay unique.
ALL_ERRORS: tuple[type[CodedVerificationError], ...] = (
    MalformedEnvelope,
    MalformedPayload,
    MalformedTrustStore,
    UnexpectedPayloadType,
    UnknownKey,
    BadSignature,
    KeyRevoked,
    KeyNotYetValid,
    KeyExpired,
    UntrustedKey,
    WrongKeyPurpose,
    NotCompetent,
    WrongAddressee,
    WrongSender,
    Expired,
    IssuedInFuture,
    Replayed,
    DecryptionFailed,
)
