"""The shape of an RFC 9162 tree over stored perfect subtrees: pure functions, no database.

Every hash a proof needs is the root of a range ``[a, b)`` of leaves that the RFC's recursive split
produces; such a range is the left-to-right fold of the perfect subtrees that cover it, and a perfect
subtree never changes once complete. So the log stores each perfect subtree's hash once, at
``(level, index)`` (covering leaves ``[index·2^level, (index+1)·2^level)``), and any proof is a lookup of at
most about 2·log2(n) of them followed by a few hashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from comity.verify.merkle import EMPTY_ROOT, leaf_hash, node_hash

#: Interior nodes are keyed ``level << 56 | index``; leaves (level 0) are keyed by their index.
LEVEL_SHIFT = 56
Node = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # leaves [start, end)


def node_pos(level: int, index: int) -> int:
    """The single-integer key of a perfect subtree (its index for a leaf)."""
    return (level << LEVEL_SHIFT) | index


def perfect_cover(start: int, end: int) -> list[Node]:
    """The perfect subtrees covering ``[start, end)``, left to right (largest aligned block first)."""
    nodes: list[Node] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while (1 << level) > end - start:
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _split(size: int) -> int:
    """k with k < size <= 2k."""
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose roots form the audit path of ``index`` in a tree of ``size``, sibling first."""
    path: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append((lo + k, hi))
            hi = lo + k
        else:
            path.append((lo, lo + k))
            lo += k
    path.reverse()
    return path


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose roots form RFC 9162's PROOF(first, D[second]) (0 < first < second)."""
    proof: list[Range] = []
    lo, hi, m, complete = 0, second, first, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append((lo + k, hi))
            hi = lo + k
        else:
            proof.append((lo, lo + k))
            m -= k
            lo += k
            complete = False
    if not complete:
        proof.append((lo, hi))
    proof.reverse()
    return proof


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    """Every perfect subtree needed to compute the roots of ``ranges``."""
    return {node for start, end in ranges for node in perfect_cover(start, end)}


def range_root(start: int, end: int, hashes: Mapping[Node, bytes]) -> bytes:
    """The root of ``[start, end)`` from the hashes of its perfect cover."""
    if start == end:
        return EMPTY_ROOT
    cover = perfect_cover(start, end)
    root = hashes[cover[-1]]
    for node in reversed(cover[:-1]):
        root = node_hash(hashes[node], root)
    return root


@dataclass
class CompactRange:
    """The right edge of an append-only tree: the hashes of the perfect subtrees covering ``[0, size)``.

    Appending a leaf merges equal-sized subtrees, yielding each newly completed interior node once.
    """

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the interior nodes ``(level, index, hash)`` it completes."""
        completed: list[tuple[int, int, bytes]] = []
        index, level, current = self.size, 0, leaf
        while index & 1:
            current = node_hash(self.hashes.pop(), current)
            level += 1
            index >>= 1
            completed.append((level, index, current))
        self.hashes.append(current)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """The root of the tree so far."""
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            root = node_hash(left, root)
        return root


class MemoryTree:
    """A whole tree in memory (tests, offline bundles): every perfect subtree kept by (level, index)."""

    def __init__(self, entries: Iterable[bytes] = ()) -> None:
        self._edge = CompactRange()
        self.nodes: dict[Node, bytes] = {}
        for data in entries:
            self.append(data)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return self._edge.size

    def append(self, data: bytes) -> None:
        """Append one entry's bytes."""
        index = self._edge.size
        hashed = leaf_hash(data)
        self.nodes[(0, index)] = hashed
        for level, node_index, value in self._edge.append(hashed):
            self.nodes[(level, node_index)] = value

    def root(self, size: int | None = None) -> bytes:
        """The root at ``size`` leaves (default: all)."""
        return range_root(0, self.size if size is None else size, self.nodes)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 PATH(index, D[size])."""
        return [range_root(a, b, self.nodes) for a, b in inclusion_ranges(index, size or self.size)]

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """RFC 9162 PROOF(first, D[second]); empty when ``first`` is 0 or equals ``second``."""
        second = self.size if second is None else second
        if first in (0, second):
            return []
        return [range_root(a, b, self.nodes) for a, b in consistency_ranges(first, second)]


def fold(ranges: Sequence[Range], hashes: Mapping[Node, bytes]) -> list[bytes]:
    """The roots of ``ranges``, in order."""
    return [range_root(a, b, hashes) for a, b in ranges]
