"""Errors of the evidence vault and of bundle verification.

Vault errors map to HTTP statuses like every :class:`comity.errors.ComityError`. Bundle errors extend the
signing verification family (:class:`comity.signing.errors.CodedVerificationError`), each with a stable
``code`` that tests and the tampered-bundle corpus match on; messages name the exact fault for people.
A log entry that does not record its event, or personal data that does not open its commitment, raise the
log's own ``comity.verify.LeafMismatch`` and ``comity.verify.CommitmentMismatch``.
"""

from __future__ import annotations

from comity.errors import ComityError, Forbidden
from comity.signing.errors import CodedVerificationError


class EvidenceTooLarge(ComityError):
    """The evidence is larger than the node accepts (``COMITY_EVIDENCE_MAX_BYTES``)."""

    status = 413
    title = "Evidence too large"
    type_slug = "evidence-too-large"


class EvidenceGone(ComityError):
    """The evidence bytes were destroyed (retention or an order); only the tombstone remains."""

    status = 410
    title = "Evidence destroyed"
    type_slug = "evidence-destroyed"


class EvidenceRetracted(ComityError):
    """The node the item came from retracted it: its content may no longer be read or shared."""

    status = 410
    title = "Evidence retracted"
    type_slug = "evidence-retracted"


class OnwardSharingRefused(Forbidden):
    """An item received from another node may not go on to this recipient: its TLP marking forbids it.

    ``rule`` names the rule (``comity.transport.tlp.RULE_*``).
    """

    title = "Onward sharing refused"
    type_slug = "onward-sharing-refused"


class TransferNotVerified(CodedVerificationError):
    """An evidence transfer (or its acknowledgement) from a peer does not hold together: bytes, facts,
    signatures or the chain of custody disagree. Nothing of it is kept."""

    code = "evidence_transfer_not_verified"


class EvidenceCorrupted(CodedVerificationError):
    """Stored bytes no longer hash to their address: the store was altered or the disk failed."""

    code = "evidence_corrupted"


# -- bundle verification ----------------------------------------------------------------------------


class MalformedBundle(CodedVerificationError):
    """The bundle is not a well-formed evidence bundle (zip, manifest, JSON lines, references)."""

    code = "malformed_bundle"


class BundleFileMissing(CodedVerificationError):
    """A file the manifest lists (or an item requires) is absent from the bundle."""

    code = "file_missing"


class UnlistedFile(CodedVerificationError):
    """The bundle holds a file its manifest does not list (something was added after export)."""

    code = "unlisted_file"


class FileHashMismatch(CodedVerificationError):
    """A file's SHA-256 differs from the one the manifest lists."""

    code = "file_hash_mismatch"


class EvidenceHashMismatch(CodedVerificationError):
    """Evidence bytes, the manifest and the signed custody events disagree on the evidence's SHA-256."""

    code = "evidence_hash_mismatch"


class ChainBroken(CodedVerificationError):
    """A custody event does not link to the one before it (reordered, removed, inserted or replaced)."""

    code = "chain_broken"


class IllegalCustodySequence(CodedVerificationError):
    """The signed custody events follow a sequence the custody state machine forbids."""

    code = "illegal_custody_sequence"


class SignerMismatch(CodedVerificationError):
    """A custody event is signed by a key that does not belong to the actor it names."""

    code = "signer_mismatch"


BUNDLE_ERRORS: tuple[type[CodedVerificationError], ...] = (
    MalformedBundle,
    BundleFileMissing,
    UnlistedFile,
    FileHashMismatch,
    EvidenceHashMismatch,
    ChainBroken,
    IllegalCustodySequence,
    SignerMismatch,
)
