"""Checkpoints: C2SP tlog-checkpoint bodies signed as C2SP signed notes by the node's log key.

The log key is the node's NODE_SIGNING key from the key registry; the note key name is the log's origin
(``COMITY_LOG_ORIGIN``, or ``<host of COMITY_BASE_URL>/<jurisdiction>/log``). Every checkpoint signed is
kept, with the cosignatures witnesses returned for it; two of the same size with different roots are a
split view and raise an alert for oversight.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.alerts.model import AlertAudience, AlertSeverity
from comity.alerts.service import raise_alert
from comity.clock import Clock, SystemClock
from comity.config import Settings
from comity.errors import NotFound
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys.keystore import Keystore
from comity.keys.queries import current_key, signer_for
from comity.signing.keys import Ed25519Signer, KeyPurpose
from comity.signing.payload import b64decode_strict
from comity.translog.model import CheckpointRow, CosignatureRow
from comity.verify.checkpoint import Checkpoint
from comity.verify.note import ED25519, NoteSignature, NoteVerifier


class LogSettings(BaseSettings):
    """Settings of the transparency log read from the environment (``COMITY_LOG_*``)."""

    model_config = SettingsConfigDict(env_prefix="COMITY_LOG_", extra="ignore")

    origin: str | None = None
    merge_delay: float = 1.0


def log_origin(settings: Settings) -> str:
    """The origin line (and note key name) of this node's log."""
    configured = LogSettings().origin
    if configured:
        return configured
    host = urlsplit(settings.base_url).netloc or "comity.example"
    return f"{host}/{settings.node_jurisdiction.lower()}/log"


@dataclass(frozen=True)
class CheckpointSigner:
    """The log's origin and the Ed25519 key that signs its checkpoints."""

    origin: str
    signer: Ed25519Signer

    @property
    def verifier(self) -> NoteVerifier:
        """The note verifier of this key (its vkey is what the node publishes)."""
        return NoteVerifier(name=self.origin, key_type=ED25519, public_key=self.signer.public_key)

    def sign(self, checkpoint: Checkpoint) -> str:
        """The checkpoint as a signed note carrying one signature, by this key."""
        text = checkpoint.text()
        signature = NoteSignature(self.origin, self.verifier.key_id, self.signer.sign(text.encode("utf-8")))
        return text + "\n" + signature.line()


def node_log_signer(session: Session, *, settings: Settings, clock: Clock) -> CheckpointSigner:
    """The node's current log signer: its NODE_SIGNING key (held in the keystore) and its origin."""
    signer = signer_for(
        session,
        keystore=Keystore.for_settings(settings),
        purpose=KeyPurpose.NODE_SIGNING,
        jurisdiction=settings.node_jurisdiction,
        at=clock.now(),
    )
    return CheckpointSigner(origin=log_origin(settings), signer=signer)


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint with the cosignatures received (``note`` holds them all)."""

    id: int
    origin: str
    size: int
    root_hash: bytes
    note: str
    vkey: str
    keyid: str
    signed_at: datetime
    witnesses: tuple[str, ...]


def stored_checkpoint(session: Session, row: CheckpointRow) -> StoredCheckpoint:
    """A stored checkpoint row with its cosignatures appended to the note."""
    cosignatures = session.scalars(
        select(CosignatureRow).where(CosignatureRow.checkpoint_id == row.id).order_by(CosignatureRow.id)
    ).all()
    note = row.note + "".join(c.line for c in cosignatures)
    return StoredCheckpoint(
        id=row.id,
        origin=row.origin,
        size=row.size,
        root_hash=row.root_hash,
        note=note,
        vkey=row.vkey,
        keyid=row.keyid,
        signed_at=row.signed_at,
        witnesses=tuple(c.witness_name for c in cosignatures),
    )


def store_checkpoint(
    session: Session, *, clock: Clock, signer: CheckpointSigner, size: int, root_hash: bytes
) -> StoredCheckpoint:
    """Sign and keep a checkpoint at ``size``; a different root at an already signed size is a split view."""
    checkpoint = Checkpoint(origin=signer.origin, size=size, root_hash=root_hash)
    row = CheckpointRow(
        origin=signer.origin,
        size=size,
        root_hash=root_hash,
        note=signer.sign(checkpoint),
        keyid=signer.signer.keyid,
        vkey=signer.verifier.vkey,
        signed_at=clock.now(),
    )
    session.add(row)
    session.flush()
    conflicting = session.scalars(
        select(CheckpointRow).where(
            CheckpointRow.origin == signer.origin,
            CheckpointRow.size == size,
            CheckpointRow.root_hash != root_hash,
        )
    ).first()
    if conflicting is not None:
        raise_split_view(
            session, clock=clock, origin=signer.origin, size=size, roots=(conflicting.root_hash, root_hash)
        )
    return stored_checkpoint(session, row)


def raise_split_view(
    session: Session,
    *,
    clock: Clock,
    origin: str,
    size: int,
    roots: tuple[bytes, ...],
    message: str | None = None,
    kind: str = "split_view",
) -> None:
    """Alert oversight (critical): the log showed two views, e.g. two roots at one size (it forked)."""
    encoded = sorted(base64.b64encode(r).decode("ascii") for r in roots)
    raise_alert(
        session,
        clock=clock,
        actor=SYSTEM_ACTOR,
        kind=kind,
        severity=AlertSeverity.CRITICAL,
        subject_type="transparency_log",
        subject_id=origin,
        audience=AlertAudience.OVERSIGHT,
        message=message or f"two checkpoints of {origin} at size {size} have different roots: the log forked",
        details={"origin": origin, "size": size, "roots": encoded},
        dedup_key=f"{kind}:{origin}:{size}:{':'.join(encoded)}",
    )


def latest_checkpoint(session: Session) -> StoredCheckpoint | None:
    """The newest checkpoint this node signed (largest size, then newest), with its cosignatures."""
    row = session.scalars(
        select(CheckpointRow).order_by(CheckpointRow.size.desc(), CheckpointRow.id.desc()).limit(1)
    ).first()
    return None if row is None else stored_checkpoint(session, row)


def checkpoint_at(session: Session, *, size: int) -> StoredCheckpoint | None:
    """The newest checkpoint this node signed at exactly ``size``."""
    row = session.scalars(
        select(CheckpointRow).where(CheckpointRow.size == size).order_by(CheckpointRow.id.desc()).limit(1)
    ).first()
    return None if row is None else stored_checkpoint(session, row)


def log_vkey(session: Session, *, settings: Settings, at: datetime | None = None) -> str:
    """The C2SP vkey that verifies this node's checkpoints.

    That of the key which signed the latest checkpoint, so the published pair always verifies; before
    the first checkpoint, that of the node's current NODE_SIGNING key.
    """
    latest = latest_checkpoint(session)
    if latest is not None:
        return latest.vkey
    when = at or SystemClock().now()
    try:
        key = current_key(
            session, purpose=KeyPurpose.NODE_SIGNING, jurisdiction=settings.node_jurisdiction, at=when
        )
    except NotFound:
        raise NotFound(
            "this node has no log key yet: register one (comity keys add --purpose node_signing)"
        ) from None
    public = b64decode_strict(key.public_key, field="public_key")
    return NoteVerifier(name=log_origin(settings), key_type=ED25519, public_key=public).vkey
