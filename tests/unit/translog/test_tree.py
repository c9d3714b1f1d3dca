"""Every tree size from 1 to 64: all proofs from the stored-subtree layout verify, tampered ones fail."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comity.translog.tree import CompactRange, MemoryTree, consistency_ranges, inclusion_ranges, perfect_cover
from comity.verify import (
    EMPTY_ROOT,
    LogVerificationError,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 MTH, written recursively as in the RFC (the reference the iterative code is checked by)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 PATH(m, D[n]), recursively."""
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """RFC 9162 SUBPROOF(m, D[n], b), recursively."""
    n = len(leaves)
    if m == n:
        return [] if complete else [_mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), _mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), _mth(leaves[:k])]


LEAVES = [f"entry {i}".encode() for i in range(64)]
TREES = {n: MemoryTree(LEAVES[:n]) for n in range(1, 65)}


@pytest.mark.parametrize("size", range(1, 65))
def test_roots_match_the_rfc_definition(size: int) -> None:
    tree = TREES[size]
    assert tree.root() == _mth(LEAVES[:size]) == root_of([leaf_hash(x) for x in LEAVES[:size]])


@pytest.mark.parametrize("size", range(1, 65))
def test_every_inclusion_proof_verifies_and_every_tampering_fails(size: int) -> None:
    tree = TREES[size]
    root = tree.root()
    for index in range(size):
        proof = tree.inclusion_proof(index)
        assert proof == _path(index, LEAVES[:size])
        verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof, root)
        for position in range(len(proof)):
            bad = list(proof)
            bad[position] = bytes([bad[position][0] ^ 1]) + bad[position][1:]
            with pytest.raises(LogVerificationError):
                verify_inclusion(index, size, leaf_hash(LEAVES[index]), bad, root)
        with pytest.raises(LogVerificationError):
            verify_inclusion(index, size, leaf_hash(b"another entry"), proof, root)
        # (A proof alone does not bind the tree size, e.g. leaf 0 of 3 and of 4 have paths of one shape:
        # the signed checkpoint binds size and root together, see the tampered corpus.)
        with pytest.raises(LogVerificationError):
            verify_inclusion(index, index, leaf_hash(LEAVES[index]), proof, root)
        if proof:
            with pytest.raises(LogVerificationError):
                verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof[:-1], root)


@pytest.mark.parametrize("second", range(1, 65))
def test_every_consistency_proof_verifies_and_every_tampering_fails(second: int) -> None:
    tree = TREES[second]
    for first in range(1, second + 1):
        proof = tree.consistency_proof(first, second)
        expected = [] if first == second else _subproof(first, LEAVES[:second], True)
        assert proof == expected
        verify_consistency(first, second, tree.root(first), tree.root(second), proof)
        for position in range(len(proof)):
            bad = list(proof)
            bad[position] = bytes([bad[position][0] ^ 1]) + bad[position][1:]
            with pytest.raises(LogVerificationError):
                verify_consistency(first, second, tree.root(first), tree.root(second), bad)
        forked = MemoryTree([*LEAVES[: first - 1], b"forked", *LEAVES[first:second]])
        with pytest.raises(LogVerificationError):
            verify_consistency(first, second, tree.root(first), forked.root(second), proof)


def test_the_compact_range_holds_the_perfect_cover() -> None:
    edge = CompactRange()
    for size, data in enumerate(LEAVES, start=1):
        edge.append(leaf_hash(data))
        cover = perfect_cover(0, size)
        assert [TREES[size].nodes[node] for node in cover] == edge.hashes
        assert edge.root() == TREES[size].root()
    assert CompactRange().root() == EMPTY_ROOT


@settings(max_examples=200, deadline=None)
@given(size=st.integers(1, 3000), data=st.data())
def test_property_inclusion_proofs_verify(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    ranges = inclusion_ranges(index, size)
    tree = MemoryTree(str(i).encode() for i in range(size))
    proof = tree.inclusion_proof(index)
    assert len(proof) == len(ranges)
    verify_inclusion(index, size, leaf_hash(str(index).encode()), proof, tree.root())
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index)) if size > 1 else None
    if other is not None:
        with pytest.raises(LogVerificationError):
            verify_inclusion(other, size, leaf_hash(str(index).encode()), proof, tree.root())


@settings(max_examples=200, deadline=None)
@given(second=st.integers(2, 3000), data=st.data())
def test_property_consistency_proofs_verify(second: int, data: st.DataObject) -> None:
    first = data.draw(st.integers(1, second - 1))
    tree = MemoryTree(str(i).encode() for i in range(second))
    proof = tree.consistency_proof(first, second)
    assert len(proof) == len(consistency_ranges(first, second))
    verify_consistency(first, second, tree.root(first), tree.root(), proof)
    with pytest.raises(LogVerificationError):
        verify_consistency(first, second, tree.root(first), tree.root(second - 1), proof)
