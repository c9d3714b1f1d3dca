"""The transparency-log verification errors: one family, one stable ``code`` per way a proof can fail.

Every class derives from :class:`LogVerificationError`, itself a :class:`comity.errors.VerificationError`
(so the web layer answers 422 and the CLI exits non-zero). Tests, the tampered corpus and API clients match
on ``code``; messages are for people and may change, codes may not.
"""

from __future__ import annotations

from typing import Any, ClassVar

from comity.errors import VerificationError


class LogVerificationError(VerificationError):
    """Root of every failure to verify a log entry, proof, checkpoint, note or cosignature."""

    code: ClassVar[str] = "log_verification_failed"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail, code=self.code, **extensions)


# -- Merkle proofs (RFC 9162 §2.1) -----------------------------------------------------------------


class MalformedHash(LogVerificationError):
    """A hash is not 32 bytes, or not valid base64/hex where one is expected."""

    code = "malformed_hash"


class IndexOutOfRange(LogVerificationError):
    """A leaf index is not below the tree size."""

    code = "index_out_of_range"


class InvalidTreeSizes(LogVerificationError):
    """The sizes of a consistency proof are out of order (the second tree is smaller)."""

    code = "invalid_tree_sizes"


class ProofLengthMismatch(LogVerificationError):
    """A proof has more or fewer hashes than the tree shape requires."""

    code = "proof_length"


class InclusionProofFailed(LogVerificationError):
    """The inclusion proof does not lead from the leaf to the root it claims."""

    code = "inclusion_mismatch"


class ConsistencyProofFailed(LogVerificationError):
    """The consistency proof does not join the two roots: the later tree does not extend the earlier."""

    code = "consistency_mismatch"


# -- signed notes, checkpoints, cosignatures (C2SP) ---------------------------------------------------


class MalformedVerifierKey(LogVerificationError):
    """A vkey is not ``name+hexid+base64(type||key)`` or its id does not match its key."""

    code = "malformed_vkey"


class MalformedNote(LogVerificationError):
    """The text is not a C2SP signed note (layout, control characters, signature lines)."""

    code = "malformed_note"


class NoKnownSignature(LogVerificationError):
    """No signature of the note is by a key the verifier trusts."""

    code = "no_known_signature"


class BadNoteSignature(LogVerificationError):
    """A signature by a trusted key does not verify: the note was altered or forged."""

    code = "bad_note_signature"


class MalformedCheckpoint(LogVerificationError):
    """The note text is not a C2SP tlog-checkpoint (origin, size, base64 root)."""

    code = "malformed_checkpoint"


class WrongOrigin(LogVerificationError):
    """The checkpoint is of another log than the one expected."""

    code = "wrong_origin"


class TreeSizeMismatch(LogVerificationError):
    """A proof or an entry set is for another tree size than the checkpoint."""

    code = "tree_size_mismatch"


class CosignatureMismatch(LogVerificationError):
    """A witness cosignature does not cover this checkpoint (stale, from another checkpoint, or forged)."""

    code = "cosignature_mismatch"


class QuorumNotMet(LogVerificationError):
    """Fewer trusted witnesses cosigned the checkpoint than the policy requires."""

    code = "quorum_not_met"


# -- entries and whole logs ---------------------------------------------------------------------------


class MalformedEntry(LogVerificationError):
    """Leaf bytes are not a Comity log entry of a known version."""

    code = "malformed_entry"


class EntryOutOfOrder(LogVerificationError):
    """An entry sits at another index than the one it was integrated at (reordered log)."""

    code = "entry_out_of_order"


class DuplicateEntry(LogVerificationError):
    """The same audit event appears twice in the log."""

    code = "duplicate_entry"


class TruncatedLog(LogVerificationError):
    """Fewer entries are present than a checkpoint commits to."""

    code = "truncated_log"


class RootMismatch(LogVerificationError):
    """The root recomputed from the entries differs from the one a checkpoint (or the log head) states."""

    code = "root_mismatch"


class LeafMismatch(LogVerificationError):
    """Stored leaf bytes or hashes differ from what the source record or the stored tree says."""

    code = "leaf_mismatch"


class CommitmentMismatch(LogVerificationError):
    """A salted commitment does not open to the claimed value."""

    code = "commitment_mismatch"


class SplitView(LogVerificationError):
    """Two checkpoints of one log at the same size with different roots: the log forked."""

    code = "split_view"
