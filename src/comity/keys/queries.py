"""Reading the key registry: finding keys to sign with, listing the directory, node-local resolving.

Other capabilities call :func:`signer_for` (an authority's key for its orders, the node key for egress)
and :func:`key_ring` (verify what this node's own registry vouches for).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import nacl.public
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from comity.clock import ensure_utc
from comity.errors import FieldError, InvalidInput, NotFound
from comity.keys.keystore import Keystore
from comity.keys.model import AnchorStatus, RegisteredKey, TrustAnchor
from comity.keys.statements import JURISDICTION_PATTERN
from comity.signing.keys import Algorithm, Ed25519Signer, KeyPurpose, KeyRing


def jurisdiction_code(value: str) -> str:
    """``value`` as an upper-case ISO 3166 alpha-2 code, or :class:`InvalidInput`."""
    code = value.strip().upper()
    if not JURISDICTION_PATTERN.match(code):
        raise InvalidInput("not an ISO 3166 code", [FieldError("jurisdiction", "two letters expected")])
    return code


def active_anchor(session: Session, jurisdiction: str) -> TrustAnchor:
    """The active anchor of ``jurisdiction`` whose private key this node holds, or :class:`NotFound`."""
    code = jurisdiction_code(jurisdiction)
    anchor = session.scalar(
        select(TrustAnchor).where(
            TrustAnchor.jurisdiction == code, TrustAnchor.local, TrustAnchor.status == AnchorStatus.ACTIVE
        )
    )
    if anchor is None:
        raise NotFound(
            f"no trust anchor for {code} on this node: create one first (comity keys anchor create)"
        )
    return anchor


def list_anchors(session: Session) -> Sequence[TrustAnchor]:
    """Every anchor this node knows, by jurisdiction."""
    return session.scalars(
        select(TrustAnchor).order_by(TrustAnchor.jurisdiction, TrustAnchor.created_at)
    ).all()


def find_key(session: Session, keyid: str) -> RegisteredKey:
    """The registered key ``keyid``, or :class:`NotFound`."""
    key = session.get(RegisteredKey, keyid)
    if key is None:
        raise NotFound(f"no registered key {keyid[:80]!r}")
    return key


def list_keys(
    session: Session,
    *,
    jurisdiction: str | None = None,
    purpose: KeyPurpose | None = None,
    organisation: str | None = None,
) -> Sequence[RegisteredKey]:
    """Registered keys, newest first, optionally filtered."""
    stmt = select(RegisteredKey).order_by(RegisteredKey.registered_at.desc(), RegisteredKey.keyid)
    if jurisdiction is not None:
        stmt = stmt.where(RegisteredKey.jurisdiction == jurisdiction_code(jurisdiction))
    if purpose is not None:
        stmt = stmt.where(RegisteredKey.purpose == purpose.value)
    if organisation is not None:
        stmt = stmt.where(RegisteredKey.organisation == organisation)
    return session.scalars(stmt).all()


def current_key(
    session: Session,
    *,
    purpose: KeyPurpose,
    jurisdiction: str,
    at: datetime,
    organisation: str | None = None,
    officer: str | None = None,
    held: bool = True,
) -> RegisteredKey:
    """The newest key of this holder and purpose valid at ``at`` (and held here, by default)."""
    at = ensure_utc(at)
    stmt = (
        select(RegisteredKey)
        .where(
            RegisteredKey.jurisdiction == jurisdiction_code(jurisdiction),
            RegisteredKey.purpose == purpose.value,
            RegisteredKey.valid_from <= at,
            RegisteredKey.valid_until > at,
            or_(RegisteredKey.revoked_at.is_(None), RegisteredKey.revoked_at > at),
        )
        .order_by(RegisteredKey.valid_from.desc(), RegisteredKey.registered_at.desc())
    )
    if organisation is not None:
        stmt = stmt.where(RegisteredKey.organisation == organisation)
    if officer is not None:
        stmt = stmt.where(RegisteredKey.officer == officer)
    if held:
        stmt = stmt.where(RegisteredKey.private_key_held)
    key = session.scalars(stmt.limit(1)).first()
    if key is None:
        who = " ".join(x for x in (jurisdiction, organisation, officer) if x)
        raise NotFound(f"no valid {purpose.value} key for {who} at {at.isoformat()}")
    return key


def signer_for(
    session: Session,
    *,
    keystore: Keystore,
    purpose: KeyPurpose,
    jurisdiction: str,
    at: datetime,
    organisation: str | None = None,
    officer: str | None = None,
) -> Ed25519Signer:
    """The signer other capabilities use: e.g. an authority's key for its orders, the node key for egress."""
    if purpose.algorithm is not Algorithm.ED25519 or purpose is KeyPurpose.TRUST_ANCHOR:
        raise ValueError(f"{purpose.value} keys do not sign Comity objects")
    key = current_key(
        session, purpose=purpose, jurisdiction=jurisdiction, at=at, organisation=organisation, officer=officer
    )
    return keystore.signer(key.keyid)


def decryption_key_for(
    session: Session, *, keystore: Keystore, jurisdiction: str, at: datetime
) -> tuple[str, nacl.public.PrivateKey]:
    """The node's current X25519 key (id and private key) for opening sealed payloads."""
    key = current_key(session, purpose=KeyPurpose.NODE_ENCRYPTION, jurisdiction=jurisdiction, at=at)
    return key.keyid, keystore.encryption_key(key.keyid)


def key_ring(session: Session) -> KeyRing:
    """A resolver over every anchor and registered key of this registry (node-local verification)."""
    anchors = [a.to_key_info() for a in session.scalars(select(TrustAnchor))]
    keys = [k.to_key_info() for k in session.scalars(select(RegisteredKey))]
    return KeyRing([*anchors, *keys])
