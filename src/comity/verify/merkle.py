"""RFC 9162 §2.1 Merkle tree hashing and proof verification (SHA-256, as C2SP tlog-tiles fixes it).

``leaf_hash`` and ``node_hash`` carry the 0x00/0x01 domain separation that stops second-preimage attacks.
The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2, and first check the proof length the tree shape
implies, so a proof with garbage before or after it is refused as such rather than as a wrong root.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from comity.verify.errors import (
    ConsistencyProofFailed,
    InclusionProofFailed,
    IndexOutOfRange,
    InvalidTreeSizes,
    MalformedHash,
    ProofLengthMismatch,
)

HASH_SIZE = 32
#: MTH({}) = SHA-256 of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The interior node over two subtrees: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes (iterative; the empty list gives :data:`EMPTY_ROOT`)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    # Fold perfect subtrees on a stack, as an append-only log does; equal to the recursive MTH.
    stack: list[tuple[int, bytes]] = []
    for index, value in enumerate(leaf_hashes):
        level, current = 0, value
        while index & 1:
            current = node_hash(stack.pop()[1], current)
            level += 1
            index >>= 1
        stack.append((level, current))
    root = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise MalformedHash(f"{what} is {len(value)} bytes; a SHA-256 hash is {HASH_SIZE}")


def _inclusion_shape(index: int, size: int) -> tuple[int, int]:
    """(inner, border): hashes below the point where the paths to ``index`` and to the last leaf part,
    and hashes above it (the right edge), as in RFC 9162's left/right split of the audit path."""
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner, border


def verify_inclusion(index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf`` (a leaf hash) is at ``index`` in the tree of ``tree_size`` with ``root``."""
    if index < 0 or tree_size < 0:
        raise IndexOutOfRange(f"negative index {index} or tree size {tree_size}")
    if index >= tree_size:
        raise IndexOutOfRange(f"leaf index {index} is not below tree size {tree_size}")
    _check_hash(leaf, "the leaf hash")
    _check_hash(root, "the root hash")
    for position, value in enumerate(proof):
        _check_hash(value, f"proof hash {position}")
    inner, border = _inclusion_shape(index, tree_size)
    if len(proof) != inner + border:
        raise ProofLengthMismatch(
            f"inclusion proof for leaf {index} of {tree_size} has {len(proof)} hashes; "
            f"{inner + border} expected"
        )
    # RFC 9162 §2.1.3.2, step by step.
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofLengthMismatch(f"inclusion proof for leaf {index} of {tree_size} is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or not hmac.compare_digest(r, root):
        raise InclusionProofFailed(
            f"inclusion proof for leaf {index} of tree size {tree_size} leads to root {r.hex()}, "
            f"not {root.hex()}"
        )


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the tree of ``size1`` with ``root1``."""
    if size1 < 0 or size2 < size1:
        raise InvalidTreeSizes(f"consistency from size {size1} to the smaller size {size2}")
    if size1 == 0:
        # Every tree extends the empty one, so such a "proof" proves nothing; callers (the witness, whose
        # first checkpoint of a log has old size 0) handle that case themselves.
        raise InvalidTreeSizes("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise ProofLengthMismatch(f"equal sizes {size1} need an empty proof, got {len(proof)} hashes")
        if not hmac.compare_digest(root1, root2):
            raise ConsistencyProofFailed(
                f"two trees of size {size1} have different roots {root1.hex()} and {root2.hex()}"
            )
        return
    _check_hash(root1, "the first root")
    _check_hash(root2, "the second root")
    for position, value in enumerate(proof):
        _check_hash(value, f"proof hash {position}")
    if not proof:
        raise ProofLengthMismatch(f"empty consistency proof from size {size1} to {size2}")
    inner, border = _inclusion_shape(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1  # trailing zero bits of size1
    inner -= shift
    seeded = size1 == 1 << shift  # size1 is a power of two: its root is the proof's implicit first node
    expected = inner + border + (0 if seeded else 1)
    if len(proof) != expected:
        raise ProofLengthMismatch(
            f"consistency proof from {size1} to {size2} has {len(proof)} hashes; {expected} expected"
        )
    path = [root1, *proof] if seeded else list(proof)
    # RFC 9162 §2.1.4.2, step by step.
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofLengthMismatch(f"consistency proof from {size1} to {size2} is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or not hmac.compare_digest(fr, root1) or not hmac.compare_digest(sr, root2):
        raise ConsistencyProofFailed(
            f"the tree of size {size2} (root {root2.hex()}) does not extend the tree of size {size1} "
            f"(root {root1.hex()}) by this proof"
        )
