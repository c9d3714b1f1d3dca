"""Reading the log: entries, and RFC 9162 inclusion and consistency proofs from the stored tree."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.audit.model import AuditEvent
from comity.errors import FieldError, InvalidInput, NotFound
from comity.translog.checkpoints import latest_checkpoint
from comity.translog.model import EntryRow
from comity.translog.store import current_size, require_nodes
from comity.translog.tree import (
    consistency_ranges,
    fold,
    inclusion_ranges,
    nodes_for,
    perfect_cover,
    range_root,
)

#: The largest page of entries one request returns.
MAX_PAGE = 1000


@dataclass(frozen=True)
class LogEntry:
    """One integrated entry: its index, the audit event it came from, and its exact leaf bytes."""

    index: int
    audit_seq: int
    data: bytes
    leaf_hash: bytes


@dataclass(frozen=True)
class InclusionProof:
    """PATH(index, D[tree_size]) with the leaf hash and the root it leads to."""

    index: int
    tree_size: int
    leaf_hash: bytes
    hashes: tuple[bytes, ...]
    root_hash: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    """PROOF(first, D[second]) with both roots."""

    first: int
    second: int
    hashes: tuple[bytes, ...]
    first_root: bytes
    second_root: bytes


def _entry(row: EntryRow) -> LogEntry:
    return LogEntry(
        index=row.idx, audit_seq=row.audit_seq, data=bytes(row.data), leaf_hash=bytes(row.leaf_hash)
    )


def entry_at(session: Session, *, index: int) -> LogEntry:
    """The entry at ``index``, or :class:`NotFound`."""
    row = session.get(EntryRow, index) if index >= 0 else None
    if row is None:
        raise NotFound(f"the log has no entry {index} (size {current_size(session)})")
    return _entry(row)


def leaf_for_audit_event(session: Session, audit_event_id: str) -> LogEntry | None:
    """The entry of an audit event, or None while it is not yet integrated."""
    row = session.scalars(
        select(EntryRow)
        .join(AuditEvent, AuditEvent.seq == EntryRow.audit_seq)
        .where(AuditEvent.id == audit_event_id)
    ).first()
    return None if row is None else _entry(row)


def entries(session: Session, *, start: int, end: int) -> list[LogEntry]:
    """Entries ``[start, end)``, at most :data:`MAX_PAGE` of them (clipped to the log's size)."""
    if start < 0 or end < start:
        raise InvalidInput(
            "bad entry range", [FieldError("start", f"need 0 <= start <= end, got {start}, {end}")]
        )
    if end - start > MAX_PAGE:
        raise InvalidInput("page too large", [FieldError("end", f"at most {MAX_PAGE} entries per page")])
    rows = session.scalars(
        select(EntryRow).where(EntryRow.idx >= start, EntryRow.idx < end).order_by(EntryRow.idx)
    )
    return [_entry(r) for r in rows]


def _default_size(session: Session) -> int:
    latest = latest_checkpoint(session)
    return latest.size if latest is not None else current_size(session)


def _check_size(session: Session, size: int, field: str) -> None:
    available = current_size(session)
    if size < 0 or size > available:
        raise InvalidInput(
            f"tree size {size} is not available", [FieldError(field, f"the log has {available} entries")]
        )


def inclusion_proof(session: Session, *, index: int, tree_size: int | None = None) -> InclusionProof:
    """The proof that entry ``index`` is in the tree of ``tree_size`` (default: the latest checkpoint's).

    All hashes come from one query over the stored perfect subtrees.
    """
    size = _default_size(session) if tree_size is None else tree_size
    _check_size(session, size, "tree_size")
    if index < 0 or index >= size:
        raise NotFound(f"no entry {index} in the tree of size {size}")
    path = inclusion_ranges(index, size)
    hashes = require_nodes(session, nodes_for(path) | {(0, index)} | set(perfect_cover(0, size)))
    return InclusionProof(
        index=index,
        tree_size=size,
        leaf_hash=hashes[(0, index)],
        hashes=tuple(fold(path, hashes)),
        root_hash=range_root(0, size, hashes),
    )


def consistency_proof(session: Session, *, first: int, second: int) -> ConsistencyProof:
    """The proof that the tree of ``second`` extends that of ``first`` (empty if ``first`` is 0 or equal)."""
    _check_size(session, second, "to")
    if first < 0 or first > second:
        raise InvalidInput(
            f"cannot prove {first} -> {second}", [FieldError("from", f"need 0 <= from <= {second}")]
        )
    ranges = consistency_ranges(first, second) if 0 < first < second else []
    hashes = require_nodes(
        session, nodes_for(ranges) | set(perfect_cover(0, first)) | set(perfect_cover(0, second))
    )
    return ConsistencyProof(
        first=first,
        second=second,
        hashes=tuple(fold(ranges, hashes)),
        first_root=range_root(0, first, hashes),
        second_root=range_root(0, second, hashes),
    )
