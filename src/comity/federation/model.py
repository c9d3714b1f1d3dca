"""Tables of the federation: the peer directory, peers' imported trust stores, and received messages.

Imported trust stores are kept byte for byte and append-only: a later import (new keys, revocations) is a
new row, so what this node trusted at any time can be shown afterwards.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base


class PeerStatus(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"  # kept for the record; nothing is sent to or accepted from it


class Peer(Base):
    """Another jurisdiction's node, as this node's administrator recorded it."""

    __tablename__ = "federation_peers"

    jurisdiction: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    base_url: Mapped[str] = mapped_column(String(300))
    #: Ids of the agreements in force with this peer: messages under any other agreement are refused.
    agreements: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12))
    added_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("status IN ('active', 'removed')", name="status_known"),)


class PeerTrustImport(Base):
    """One import of a peer's exported trust store (``comity-trust-store/v1``), exactly as read."""

    __tablename__ = "federation_trust_imports"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(2), index=True)
    #: The pinned anchor(s), comma-separated key ids; a later import must keep them.
    anchors: Mapped[str] = mapped_column(String(400))
    digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    exported_at: Mapped[datetime]
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(String(120))


class ReceivedMessage(Base):
    """A message another node delivered to this one's inbox, with the receipt it was answered with."""

    __tablename__ = "federation_received"
    __table_args__ = (Index("ix_federation_received_pending", "retrieved_at", "handling_failed_at"),)

    message_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the exact bytes
    sender: Mapped[str] = mapped_column(String(2), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    agreement_id: Mapped[str] = mapped_column(String(100))
    agreement_version: Mapped[int] = mapped_column(Integer)
    tlp: Mapped[str] = mapped_column(String(20))
    signer_keyid: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    received_at: Mapped[datetime]
    retrieved_at: Mapped[datetime | None]
    data: Mapped[bytes] = mapped_column(LargeBinary)  # the signed envelope as received (evidence)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # the opened (decrypted) body
    receipt: Mapped[str] = mapped_column(Text)  # the receipt JSON this node answered with
    #: Handing the message to its feature (``comity.federation.dispatch``): tries so far, the last error,
    #: and when it was given up (an alert is raised then). ``retrieved_at`` is set once it was handled.
    handling_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    handling_error: Mapped[str | None] = mapped_column(Text)
    handling_failed_at: Mapped[datetime | None]
    #: The sender retracted what this message carried (MISP-style retraction that propagates).
    retracted_at: Mapped[datetime | None]


class AgreementPseudonymKey(Base):
    """A per-agreement HMAC secret shared by the agreement's parties, sealed at rest by the keystore.

    One party (the agreement's first jurisdiction, alphabetically) generates it when the agreement is in
    force on its node and sends it, sealed to each party's node encryption key; rotation is a new
    generation (a new agreement version, or an explicit rotation), and the older ones stay readable for
    matching what was pseudonymised under them.
    """

    __tablename__ = "federation_pseudonym_keys"

    agreement_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    agreement_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # sealed with the keystore's secret box
    origin: Mapped[str] = mapped_column(String(2))  # jurisdiction whose node generated it
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
