"""``verify_log``: recompute the whole log from the stored entries and check everything stored about it.

It checks, naming the first fault: each entry's leaf hash and index, the leaf against its audit event (and
the actor commitment, while the salt exists), every stored interior node, the head's size and root, every
checkpoint's signature, origin, key and root, and every cosignature.
"""

from __future__ import annotations

import hmac
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.audit.model import AuditEvent
from comity.keys.model import RegisteredKey
from comity.signing.payload import b64decode_strict
from comity.translog.model import ActorSaltRow, CheckpointRow, CosignatureRow, EntryRow, NodeRow
from comity.translog.sequencer import format_instant
from comity.translog.store import head
from comity.translog.tree import CompactRange, node_pos
from comity.verify.checkpoint import open_checkpoint
from comity.verify.entries import actor_commitment, decode_entry
from comity.verify.errors import (
    EntryOutOfOrder,
    LeafMismatch,
    LogVerificationError,
    NoKnownSignature,
    RootMismatch,
    SplitView,
    TreeSizeMismatch,
    TruncatedLog,
)
from comity.verify.merkle import EMPTY_ROOT, leaf_hash
from comity.verify.note import Note, open_note, parse_note, parse_vkey

_BATCH = 10_000


def _check_checkpoints(session: Session, size: int) -> dict[int, list[tuple[int, bytes]]]:
    """Verify every stored checkpoint and cosignature; return the roots to expect, by tree size."""
    expected: dict[int, list[tuple[int, bytes]]] = defaultdict(list)
    cosignatures: dict[int, list[CosignatureRow]] = defaultdict(list)
    for cosignature in session.scalars(select(CosignatureRow).order_by(CosignatureRow.id)):
        cosignatures[cosignature.checkpoint_id].append(cosignature)
    for row in session.scalars(select(CheckpointRow).order_by(CheckpointRow.id)):
        where = f"checkpoint {row.id} (size {row.size})"
        try:
            opened = open_checkpoint(row.note, row.vkey, origin=row.origin)
            key = session.get(RegisteredKey, row.keyid)
            verifier = parse_vkey(row.vkey)
            if key is None or b64decode_strict(key.public_key, field="public_key") != verifier.public_key:
                raise NoKnownSignature(f"it is not signed by the registered node key {row.keyid[:16]}")
            if opened.checkpoint.size != row.size or opened.checkpoint.root_hash != row.root_hash:
                raise RootMismatch("its signed size or root differ from the stored ones")
            for cosignature in cosignatures[row.id]:
                lines = parse_note(opened.note.text + "\n" + cosignature.line).signatures
                open_note(Note(opened.note.text, lines), [cosignature.witness_vkey])
        except LogVerificationError as exc:
            raise type(exc)(f"{where}: {exc.detail}") from None
        if row.size > size:
            raise TruncatedLog(f"{where} commits to {row.size} entries; the log holds {size}")
        for other_id, root in expected[row.size]:
            if root != row.root_hash:
                raise SplitView(
                    f"checkpoints {other_id} and {row.id} of size {row.size} have different roots"
                )
        expected[row.size].append((row.id, row.root_hash))
    return expected


def _check_against_source(index: int, data: bytes, source: Sequence[Any]) -> None:
    """Compare an entry with its audit event (and actor, while its salt exists)."""
    entry = decode_entry(data)
    if entry.index != index:
        raise EntryOutOfOrder(f"entry {index} records index {entry.index}")
    event_id, occurred_at, actor, tag, subject_type, subject_id, details, salt = source
    if event_id is None:
        return  # the audit event is gone: only the log's own integrity can be checked
    recorded = (
        entry.event_id,
        entry.occurred_at,
        entry.tag,
        entry.subject_type,
        entry.subject_id,
        entry.details,
    )
    current = (event_id, format_instant(occurred_at), tag, subject_type, subject_id, details or {})
    if recorded != current:
        raise LeafMismatch(f"entry {index} no longer matches audit event {event_id}")
    if salt is not None and not hmac.compare_digest(
        entry.actor_commitment, actor_commitment(actor, bytes(salt))
    ):
        raise LeafMismatch(f"entry {index}: the actor of audit event {event_id} does not open its commitment")


def _check_nodes(session: Session, created: list[tuple[int, int, bytes]]) -> None:
    if not created:
        return
    positions = {node_pos(level, index): value for level, index, value in created}
    query = select(NodeRow.pos, NodeRow.hash).where(NodeRow.pos.in_(list(positions)))
    stored = {int(pos): bytes(value) for pos, value in session.execute(query)}
    for level, index, value in created:
        if bytes(stored.get(node_pos(level, index), b"")) != value:
            raise LeafMismatch(f"the stored node at level {level}, index {index} is missing or wrong")


def verify_log(session: Session) -> None:
    """Recompute the log and check every stored fact about it; raise the first fault, precisely named."""
    state = head(session)
    size = state.size if state is not None else 0
    expected_roots = _check_checkpoints(session, size)
    edge = CompactRange()
    audit = AuditEvent.__table__.c
    start = 0
    while True:
        rows = session.execute(
            select(
                EntryRow.idx,
                EntryRow.data,
                EntryRow.leaf_hash,
                audit.id,
                audit.occurred_at,
                audit.actor,
                audit.tag,
                audit.subject_type,
                audit.subject_id,
                audit.details,
                ActorSaltRow.salt,
            )
            .outerjoin(AuditEvent, audit.seq == EntryRow.audit_seq)
            .outerjoin(ActorSaltRow, ActorSaltRow.audit_seq == EntryRow.audit_seq)
            .where(EntryRow.idx >= start)
            .order_by(EntryRow.idx)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        created: list[tuple[int, int, bytes]] = []
        for idx, data, stored_hash, *source in rows:
            if idx != edge.size:
                raise TruncatedLog(f"entry {edge.size} is missing (next stored entry is {idx})")
            data = bytes(data)
            if leaf_hash(data) != bytes(stored_hash):
                raise LeafMismatch(f"entry {idx}: its bytes do not hash to its stored leaf hash")
            _check_against_source(idx, data, source)
            created.extend(edge.append(leaf_hash(data)))
            for checkpoint_id, root in expected_roots.get(edge.size, []):
                if root != edge.root():
                    raise RootMismatch(
                        f"checkpoint {checkpoint_id} (size {edge.size}) states root {root.hex()}; "
                        f"the entries give {edge.root().hex()}"
                    )
        _check_nodes(session, created)
        start = edge.size
    if edge.size < size:
        raise TruncatedLog(f"the head says {size} entries; {edge.size} are stored")
    if edge.size > size:
        raise TreeSizeMismatch(f"{edge.size} entries are stored; the head says {size}")
    if state is not None and state.root_hash != edge.root():
        raise RootMismatch(
            f"the head states root {state.root_hash.hex()}; the entries give {edge.root().hex()}"
        )
    if state is None and edge.root() != EMPTY_ROOT:
        raise RootMismatch("entries are stored but the log has no head")
