"""The sequencer: integrates committed audit events into the tree, in batches, exactly once.

Why it is safe:

- It reads audit rows through the database's own visibility (READ COMMITTED): a rolled-back row is
  never seen, so never integrated.
- It integrates rows that are *not yet integrated* (an anti-join on ``translog_entries.audit_seq``, which is
  UNIQUE), above a floor below which everything is known final; it never relies on "seq above the last
  one integrated". On PostgreSQL sequence values commit out of order: a row with a smaller seq can become
  visible after a larger one was integrated, and is then still found above the floor.
- The floor moves in two phases on PostgreSQL (SQLite has one writer at a time, so a visible seq means
  every smaller one is final): note the largest visible seq H; after a grace period note the snapshot's
  xmax X; once no transaction older than X is running, every seq <= H is either visible or rolled back,
  and when all visible ones are integrated the floor moves to H. The floor only bounds the scan: its lag
  never delays integration.
- The log head row is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's single writer lock), so two
  sequencers never append at once: the second returns at once with ``skipped``; and the UNIQUE audit seq
  would refuse a double integration even then.

Integration writes no audit event of its own: that event would need integrating in turn, for ever.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import psycopg
from sqlalchemy import String, Text, exists, func, select, text, type_coerce
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from comity.audit.model import AuditEvent
from comity.clock import Clock
from comity.translog.checkpoints import CheckpointSigner, StoredCheckpoint, store_checkpoint
from comity.translog.model import ActorSaltRow, EntryRow, NodeRow, StateRow
from comity.translog.store import STATE_ID, require_nodes
from comity.translog.tree import CompactRange, node_pos, perfect_cover
from comity.verify.entries import EntryContent, actor_commitment
from comity.verify.merkle import EMPTY_ROOT, leaf_hash

DEFAULT_BATCH = 10_000
#: How long after noting the horizon seq before trusting the snapshot: covers a writer that drew its
#: seq from the sequence but had not yet been given a transaction id.
HORIZON_GRACE = timedelta(seconds=1)
_SALT_BYTES = 32


@dataclass(frozen=True)
class IntegrationResult:
    """What one sequencer pass did."""

    integrated: int
    tree_size: int
    root_hash: bytes
    checkpoint: StoredCheckpoint | None
    skipped: bool = False  # another sequencer held the log


def format_instant(value: datetime) -> str:
    """An aware instant as ISO 8601 UTC with microseconds (``2026-09-01T08:00:00.000000Z``)."""
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _lock_head(session: Session, *, now: datetime) -> StateRow | None:
    """The head row, locked for this transaction; None when another sequencer holds it."""
    dialect = session.get_bind().dialect.name
    values = {"id": STATE_ID, "size": 0, "root_hash": EMPTY_ROOT, "floor_seq": 0, "updated_at": now}
    if dialect == "postgresql":
        stmt = select(StateRow).where(StateRow.id == STATE_ID).with_for_update(skip_locked=True)
        state = session.scalars(stmt).first()
        if state is not None:
            return state
        if session.scalar(select(StateRow.id).where(StateRow.id == STATE_ID)) is not None:
            return None  # it exists, so another sequencer holds it
        session.execute(pg_insert(StateRow).values(values).on_conflict_do_nothing())
        return session.scalars(stmt).first()
    # SQLite: the first write of the transaction takes the database's single writer lock (waiting up to
    # the busy timeout), so what follows reads a head no other sequencer can change until commit.
    session.execute(sqlite_insert(StateRow).values(values).on_conflict_do_nothing())
    return session.get(StateRow, STATE_ID, populate_existing=True)


def _horizon_is_final(session: Session, state: StateRow) -> bool:
    """PostgreSQL: advance the two-phase horizon; True once every seq <= horizon_seq is final."""
    xmin, xmax, now = session.execute(
        text(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, "
            "pg_snapshot_xmax(pg_current_snapshot())::text::bigint, clock_timestamp()"
        )
    ).one()
    if state.horizon_seq is None or state.horizon_at is None:
        top = session.scalar(select(func.max(AuditEvent.seq)))
        state.horizon_seq, state.horizon_xid, state.horizon_at = top or state.floor_seq, None, now
        return False
    if state.horizon_xid is None:
        if now - state.horizon_at >= HORIZON_GRACE:
            state.horizon_xid = int(xmax)
        return False
    return int(xmin) >= state.horizon_xid


#: seq, id, occurred_at, actor, tag, subject_type, subject_id, details of an audit event, as the driver
#: returns them: occurred_at is SQLite's stored text or PostgreSQL's datetime, details the JSON text.
_Pending = tuple[int, str, "str | datetime", str, str, str, str, "str | dict[str, Any] | None"]


def _pending(session: Session, floor: int, limit: int) -> list[_Pending]:
    audit = AuditEvent.__table__.c
    stmt = (
        select(
            audit.seq,
            audit.id,
            # Raw values: the ORM's per-row type processing would cost more than encoding the entry.
            type_coerce(audit.occurred_at, String()),
            audit.actor,
            audit.tag,
            audit.subject_type,
            audit.subject_id,
            type_coerce(audit.details, Text()),
        )
        .where(audit.seq > floor, ~exists().where(EntryRow.audit_seq == audit.seq))
        .order_by(audit.seq)
        .limit(limit)
    )
    return [tuple(row) for row in session.execute(stmt)]


def _instant(value: str | datetime) -> str:
    """The leaf's time text from a stored instant (SQLite's is naive UTC text with microseconds)."""
    if isinstance(value, datetime):
        return format_instant(value)
    if len(value) == 26 and value[10] == " ":
        return value[:10] + "T" + value[11:] + "Z"
    return format_instant(datetime.fromisoformat(value).replace(tzinfo=UTC))


def _details(value: str | dict[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    parsed = json.loads(value) if isinstance(value, str) else value
    return parsed if isinstance(parsed, dict) else {}


def _insert_many(
    session: Session,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[int, bytes]] | list[tuple[int, int, bytes, bytes]],
) -> None:
    """Insert plain rows through the driver: the ORM's per-row work would triple the cost.

    PostgreSQL gets ``COPY ... FROM STDIN`` (psycopg), several times faster than batched INSERTs.
    """
    if not rows:
        return
    connection = session.connection()
    # Table and column names are this module's constants, never input.
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        driver = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    placeholders = ", ".join([marker] * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608


def _load_edge(session: Session, size: int) -> CompactRange:
    cover = perfect_cover(0, size)
    hashes = require_nodes(session, cover)
    return CompactRange(size=size, hashes=[hashes[node] for node in cover])


def integrate_pending(
    session: Session,
    *,
    clock: Clock,
    signer: CheckpointSigner | None = None,
    limit: int = DEFAULT_BATCH,
) -> IntegrationResult:
    """Integrate one batch of committed, not yet integrated audit events, in the caller's transaction.

    Signs and stores a checkpoint when the tree grew and ``signer`` is given. Run it in a transaction of
    its own (the caller commits): the integration is durable exactly when that commit is.
    """
    now = clock.now()
    state = _lock_head(session, now=now)
    if state is None:
        return IntegrationResult(0, 0, EMPTY_ROOT, None, skipped=True)
    postgres = session.get_bind().dialect.name == "postgresql"
    # Checked before reading the rows: a final horizon then guarantees the read sees every row <= it.
    final = _horizon_is_final(session, state) if postgres else False
    rows = _pending(session, state.floor_seq, limit)
    edge = _load_edge(session, state.size)
    entries: list[tuple[int, int, bytes, bytes]] = []
    salts: list[tuple[int, bytes]] = []
    nodes: list[tuple[int, bytes]] = []
    randomness = os.urandom(_SALT_BYTES * len(rows))
    for offset, (seq, event_id, occurred_at, actor, tag, subject_type, subject_id, details) in enumerate(
        rows
    ):
        salt = randomness[offset * _SALT_BYTES : (offset + 1) * _SALT_BYTES]
        index = edge.size
        data = EntryContent(
            index=index,
            audit_seq=seq,
            event_id=event_id,
            occurred_at=_instant(occurred_at),
            tag=tag,
            subject_type=subject_type,
            subject_id=subject_id,
            details=_details(details),
            actor_commitment=actor_commitment(actor, salt),
        ).encode()
        hashed = leaf_hash(data)
        entries.append((index, seq, hashed, data))
        salts.append((seq, salt))
        nodes.extend((node_pos(level, i), h) for level, i, h in edge.append(hashed))
    if entries:
        _insert_many(session, EntryRow.__tablename__, ("idx", "audit_seq", "leaf_hash", "data"), entries)
        _insert_many(session, ActorSaltRow.__tablename__, ("audit_seq", "salt"), salts)
        _insert_many(session, NodeRow.__tablename__, ("pos", "hash"), nodes)
    last_seq = rows[-1][0] if rows else state.floor_seq
    drained = len(rows) < limit
    if not postgres:
        state.floor_seq = max(state.floor_seq, last_seq)
    elif final and state.horizon_seq is not None and (drained or last_seq >= state.horizon_seq):
        state.floor_seq = max(state.floor_seq, state.horizon_seq)
        state.horizon_seq = state.horizon_xid = state.horizon_at = None
        _horizon_is_final(session, state)  # start the next horizon in this pass
    grew = bool(entries)
    if grew:
        state.size, state.root_hash = edge.size, edge.root()
    state.updated_at = now
    session.flush()
    checkpoint = None
    if grew and signer is not None:
        checkpoint = store_checkpoint(
            session, clock=clock, signer=signer, size=state.size, root_hash=state.root_hash
        )
    return IntegrationResult(len(entries), state.size, state.root_hash, checkpoint)


def sign_head(session: Session, *, clock: Clock, signer: CheckpointSigner) -> StoredCheckpoint:
    """Sign a checkpoint of the current head (e.g. after a key rotation, or the first, empty one)."""
    state = session.get(StateRow, STATE_ID)
    size, root = (state.size, state.root_hash) if state is not None else (0, EMPTY_ROOT)
    return store_checkpoint(session, clock=clock, signer=signer, size=size, root_hash=root)
