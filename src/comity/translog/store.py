"""Reading the stored tree: perfect-subtree hashes in one query, the log head, entries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from comity.translog.model import EntryRow, NodeRow, StateRow
from comity.translog.tree import LEVEL_SHIFT, Node, node_pos
from comity.verify.errors import LeafMismatch

STATE_ID = 1


def fetch_nodes(session: Session, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """The hashes of ``nodes`` in one round trip (leaves from the entries, the rest from the nodes)."""
    leaves = sorted({index for level, index in nodes if level == 0})
    interior = sorted({node_pos(level, index) for level, index in nodes if level > 0})
    parts = []
    if interior:
        parts.append(select(NodeRow.pos, NodeRow.hash).where(NodeRow.pos.in_(interior)))
    if leaves:
        parts.append(select(EntryRow.idx, EntryRow.leaf_hash).where(EntryRow.idx.in_(leaves)))
    if not parts:
        return {}
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    found: dict[Node, bytes] = {}
    mask = (1 << LEVEL_SHIFT) - 1
    for pos, value in session.execute(statement):
        # Leaf indices stay below 2**56, so a key above it is always an interior node.
        found[(pos >> LEVEL_SHIFT, pos & mask) if pos >> LEVEL_SHIFT else (0, pos)] = bytes(value)
    return found


def require_nodes(session: Session, nodes: Iterable[Node]) -> Mapping[Node, bytes]:
    """Like :func:`fetch_nodes`, failing loudly when the stored tree lacks one (a damaged log)."""
    wanted = set(nodes)
    found = fetch_nodes(session, wanted)
    missing = wanted - set(found)
    if missing:
        level, index = min(missing)
        raise LeafMismatch(f"the stored tree lacks the node at level {level}, index {index}")
    return found


def head(session: Session) -> StateRow | None:
    """The log head without locking it (readers)."""
    return session.get(StateRow, STATE_ID)


def current_size(session: Session) -> int:
    """The number of integrated entries."""
    state = head(session)
    return state.size if state is not None else 0
