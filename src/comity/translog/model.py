"""Tables of the node's transparency log.

``translog_entries`` holds each leaf (index, source audit seq, leaf hash, exact leaf bytes);
``translog_nodes`` the hash of every complete (perfect) subtree above the leaves, keyed by one integer
(:func:`comity.translog.tree.node_pos`) so a proof's nodes come back in one indexed ``IN`` query;
``translog_state`` the single head row the sequencer locks; ``translog_actor_salts`` the per-event salts of
the actor commitments (ordinary data: a retention purge deletes a salt and leaves a tombstone);
``translog_checkpoints`` every checkpoint the node signed and ``translog_cosignatures`` what witnesses
returned for them. Entries and nodes are append-only; nothing here holds personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base

# INTEGER PRIMARY KEY is SQLite's rowid: the table is then one B-tree keyed by the index itself.
_KEY = BigInteger().with_variant(Integer(), "sqlite")


class EntryRow(Base):
    __tablename__ = "translog_entries"

    idx: Mapped[int] = mapped_column(_KEY, primary_key=True, autoincrement=False)
    #: The audit event's sequence number; unique, so no event is ever integrated twice.
    audit_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class NodeRow(Base):
    __tablename__ = "translog_nodes"

    pos: Mapped[int] = mapped_column(_KEY, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class StateRow(Base):
    """The log head (always id 1): size and root, and where the sequencer may resume scanning."""

    __tablename__ = "translog_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: Every audit seq at or below this is integrated, or belongs to a transaction that rolled back.
    floor_seq: Mapped[int] = mapped_column(BigInteger)
    #: PostgreSQL only: the seq the floor may move to once every transaction older than horizon_xid ended.
    horizon_seq: Mapped[int | None] = mapped_column(BigInteger)
    horizon_xid: Mapped[int | None] = mapped_column(BigInteger)
    horizon_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ActorSaltRow(Base):
    """The salt of one entry's actor commitment; ``salt`` is NULL (a tombstone) once purged."""

    __tablename__ = "translog_actor_salts"

    audit_seq: Mapped[int] = mapped_column(_KEY, primary_key=True, autoincrement=False)
    salt: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    purged_at: Mapped[datetime | None]


class CheckpointRow(Base):
    """A checkpoint this node signed: the note as signed by the log key alone."""

    __tablename__ = "translog_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    #: Registry key id (comity.signing) of the NODE_SIGNING key, and its C2SP vkey.
    keyid: Mapped[str] = mapped_column(String(64))
    vkey: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime]

    __table_args__ = (Index("ix_translog_checkpoints_size", "size"),)


class CosignatureRow(Base):
    """One witness cosignature line received for a checkpoint."""

    __tablename__ = "translog_cosignatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("translog_checkpoints.id"))
    witness_name: Mapped[str] = mapped_column(String(200))
    witness_vkey: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    line: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("checkpoint_id", "witness_vkey"),)
