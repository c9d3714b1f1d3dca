"""Use cases of the key registry: anchors, registration, rotation, revocation, and finding signing keys.

Every change signs a statement with the jurisdiction's trust anchor, keeps it byte for byte, and writes one
audit event in the caller's transaction. Private keys go to the keystore, never to the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.audit import service as audit
from comity.clock import Clock, ensure_utc
from comity.errors import Conflict, FieldError, InvalidInput
from comity.ids import new_id
from comity.keys.keystore import Keystore
from comity.keys.model import (
    AnchorStatus,
    KeyStatement,
    KeyStatus,
    RegisteredKey,
    StatementKind,
    TrustAnchor,
)
from comity.keys.queries import (
    active_anchor,
    current_key,
    find_key,
    jurisdiction_code,
    key_ring,
    list_anchors,
    list_keys,
    signer_for,
)
from comity.keys.rules import DEFAULT_VALIDITY_DAYS, check_holder, check_validity_days, new_key_material
from comity.keys.statements import Registration, Revocation, statement_digest
from comity.kinds import AuthorityType
from comity.signing.envelope import PayloadType, sign
from comity.signing.keys import (
    KeyPurpose,
    RevocationReason,
    compute_keyid,
)
from comity.signing.payload import b64encode, truncate_to_second

#: How long a rotated key stays valid beside its successor, so messages in flight still verify.
DEFAULT_ROTATION_OVERLAP = timedelta(days=7)
_COMMENT_LIMIT = 500

#: Reads live in ``queries``; re-exported so callers find the whole registry here.
__all__ = [
    "DEFAULT_VALIDITY_DAYS",
    "active_anchor",
    "create_anchor",
    "current_key",
    "find_key",
    "key_ring",
    "list_anchors",
    "list_keys",
    "register_key",
    "revoke_key",
    "rotate_key",
    "signer_for",
]


def _now(clock: Clock) -> datetime:
    return truncate_to_second(ensure_utc(clock.now()))


# -- anchors ----------------------------------------------------------------------------------------


def create_anchor(
    session: Session, *, clock: Clock, actor: str, keystore: Keystore, jurisdiction: str
) -> TrustAnchor:
    """Create the trust anchor of ``jurisdiction``: a new Ed25519 root key held in the keystore."""
    code = jurisdiction_code(jurisdiction)
    existing = session.scalar(
        select(TrustAnchor).where(
            TrustAnchor.jurisdiction == code, TrustAnchor.local, TrustAnchor.status == AnchorStatus.ACTIVE
        )
    )
    if existing is not None:
        raise Conflict(f"{code} already has an active trust anchor {existing.keyid}", keyid=existing.keyid)
    signer = keystore.generate_signing_key()
    anchor = TrustAnchor(
        keyid=signer.keyid,
        jurisdiction=code,
        public_key=b64encode(signer.public_key),
        local=True,
        status=AnchorStatus.ACTIVE,
        created_at=_now(clock),
    )
    session.add(anchor)
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag="keys:anchor:created",
        subject_type="trust_anchor",
        subject_id=anchor.keyid,
        details={"jurisdiction": code},
    )
    session.flush()
    return anchor


# -- statements -------------------------------------------------------------------------------------


def _issue(
    session: Session,
    *,
    keystore: Keystore,
    anchor: TrustAnchor,
    kind: StatementKind,
    keyid: str,
    payload_type: PayloadType,
    payload: bytes,
    issued_at: datetime,
) -> KeyStatement:
    envelope = sign(payload, payload_type, keystore.signer(anchor.keyid))
    statement = KeyStatement(
        id=new_id("kst"),
        keyid=keyid,
        anchor_keyid=anchor.keyid,
        kind=kind,
        envelope=envelope.to_json().decode("utf-8"),
        digest=statement_digest(envelope),
        issued_at=issued_at,
    )
    session.add(statement)
    return statement


# -- keys -------------------------------------------------------------------------------------------


def register_key(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    keystore: Keystore,
    jurisdiction: str,
    purpose: KeyPurpose,
    organisation: str | None = None,
    authority_type: AuthorityType | None = None,
    officer: str | None = None,
    valid_from: datetime | None = None,
    valid_days: int = DEFAULT_VALIDITY_DAYS,
    public_key: bytes | None = None,
    label: str = "",
    replaces: str | None = None,
) -> RegisteredKey:
    """Register a key under the jurisdiction's anchor; generate it in the keystore unless ``public_key``.

    The anchor signs a registration statement binding key id, public key, purpose, holder and period.
    """
    code = jurisdiction_code(jurisdiction)
    anchor = active_anchor(session, code)
    holder = check_holder(
        session,
        jurisdiction=code,
        purpose=purpose,
        organisation=organisation,
        authority_type=authority_type,
        officer=officer,
    )
    check_validity_days(valid_days)
    now = _now(clock)
    start = truncate_to_second(ensure_utc(valid_from)) if valid_from else now
    if start < now:
        # Backdating would make signatures made before the registration look valid.
        raise InvalidInput(
            "a key cannot be valid before it is registered", [FieldError("valid_from", "past")]
        )
    material, held = new_key_material(keystore, purpose, public_key)
    keyid = compute_keyid(purpose.algorithm, material)
    if session.get(RegisteredKey, keyid) is not None:
        raise Conflict(f"key {keyid} is already registered", keyid=keyid)
    key = RegisteredKey(
        keyid=keyid,
        anchor_keyid=anchor.keyid,
        jurisdiction=code,
        algorithm=purpose.algorithm,
        public_key=b64encode(material),
        purpose=purpose,
        organisation=holder.organisation,
        authority_type=holder.authority_type.value if holder.authority_type else None,
        officer=holder.officer,
        label=label[:120],
        valid_from=start,
        valid_until=start + timedelta(days=valid_days),
        status=KeyStatus.ACTIVE,
        replaces=replaces,
        private_key_held=held,
        registered_at=now,
    )
    session.add(key)
    session.flush()  # the statement row references the key
    registration = Registration(
        jurisdiction=code,
        anchor=anchor.keyid,
        keyid=keyid,
        algorithm=purpose.algorithm,
        public_key=material,
        purpose=purpose,
        holder=holder,
        valid_from=key.valid_from,
        valid_until=key.valid_until,
        issued_at=now,
        replaces=replaces,
    )
    _issue(
        session,
        keystore=keystore,
        anchor=anchor,
        kind=StatementKind.REGISTRATION,
        keyid=keyid,
        payload_type=PayloadType.KEY_REGISTRATION,
        payload=registration.to_payload(),
        issued_at=now,
    )
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag="keys:key:registered",
        subject_type="key",
        subject_id=keyid,
        details={
            "purpose": purpose.value,
            "jurisdiction": code,
            "anchor": anchor.keyid,
            "organisation": holder.organisation,
            "authority_type": key.authority_type,
            "replaces": replaces,
        },
    )
    return key


def _end(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    key: RegisteredKey,
    at: datetime,
    reason: RevocationReason,
    comment: str,
    replaced_by: str | None,
) -> None:
    """Sign a revocation statement ending ``key`` at ``at`` and record it on the row."""
    anchor = session.get(TrustAnchor, key.anchor_keyid)
    if anchor is None or not anchor.local:
        raise Conflict(f"key {key.keyid} was registered by an anchor this node does not hold")
    now = _now(clock)
    revocation = Revocation(
        jurisdiction=key.jurisdiction,
        anchor=anchor.keyid,
        keyid=key.keyid,
        revoked_at=at,
        reason=reason,
        comment=comment,
        issued_at=now,
        replaced_by=replaced_by,
    )
    _issue(
        session,
        keystore=keystore,
        anchor=anchor,
        kind=StatementKind.REVOCATION,
        keyid=key.keyid,
        payload_type=PayloadType.KEY_REVOCATION,
        payload=revocation.to_payload(),
        issued_at=now,
    )
    # Several revocations may exist (a rotation, then a compromise); the earliest end wins everywhere.
    key.revoked_at = at if key.revoked_at is None else min(key.revoked_at, at)
    key.revocation_reason = reason.value
    key.status = KeyStatus.SUPERSEDED if reason is RevocationReason.SUPERSEDED else KeyStatus.REVOKED


def rotate_key(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    keystore: Keystore,
    keyid: str,
    overlap: timedelta = DEFAULT_ROTATION_OVERLAP,
    valid_days: int | None = None,
    public_key: bytes | None = None,
) -> RegisteredKey:
    """Replace ``keyid`` by a new key for the same holder and purpose; the old one ends after ``overlap``.

    Returns the new key. The old key's end is a signed ``superseded`` revocation at the cut-over (never later
    than its own expiry), so signatures it made before the cut-over keep verifying.
    """
    old = find_key(session, keyid)
    now = _now(clock)
    state = old.effective_status(now)
    if old.status != KeyStatus.ACTIVE or state not in ("valid", "not_yet_valid"):
        raise Conflict(f"key {keyid} is {state} ({old.status}); register a new key instead", keyid=keyid)
    if overlap < timedelta(0):
        raise InvalidInput("the overlap cannot be negative", [FieldError("overlap", "negative")])
    if public_key is None and not old.private_key_held:
        raise InvalidInput(
            f"the holder keeps the private key of {keyid}: give the successor's public key",
            [FieldError("public_key", "required: this node does not generate the holder's keys")],
        )
    days = valid_days if valid_days is not None else max(1, (old.valid_until - old.valid_from).days)
    holder = old.holder
    new = register_key(
        session,
        clock=clock,
        actor=actor,
        keystore=keystore,
        jurisdiction=old.jurisdiction,
        purpose=KeyPurpose(old.purpose),
        organisation=holder.organisation,
        authority_type=holder.authority_type,
        officer=holder.officer,
        valid_days=days,
        public_key=public_key,
        label=old.label,
        replaces=old.keyid,
    )
    cutover = min(now + _whole_seconds(overlap), old.valid_until)
    _end(
        session,
        clock=clock,
        keystore=keystore,
        key=old,
        at=cutover,
        reason=RevocationReason.SUPERSEDED,
        comment=f"superseded by {new.keyid}",
        replaced_by=new.keyid,
    )
    old.replaced_by = new.keyid
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag="keys:key:rotated",
        subject_type="key",
        subject_id=old.keyid,
        details={"replaced_by": new.keyid, "cutover": cutover.isoformat()},
    )
    return new


def _whole_seconds(delta: timedelta) -> timedelta:
    """``delta`` in whole seconds (statements hold second-precision instants)."""
    return timedelta(seconds=int(delta.total_seconds()))


def revoke_key(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    keystore: Keystore,
    keyid: str,
    comment: str,
    reason: RevocationReason = RevocationReason.UNSPECIFIED,
    revoked_at: datetime | None = None,
) -> RegisteredKey:
    """Revoke ``keyid`` from ``revoked_at`` (default now; may be backdated to a suspected compromise).

    ``comment`` is published in the trust store: say why without personal data.
    """
    key = find_key(session, keyid)
    if key.status == KeyStatus.REVOKED:
        raise Conflict(f"key {keyid} is already revoked since {key.revoked_at}", keyid=keyid)
    if reason is RevocationReason.SUPERSEDED:
        raise InvalidInput("rotate a key to supersede it", [FieldError("reason", "use rotation")])
    text = comment.strip()
    if not text or len(text) > _COMMENT_LIMIT:
        raise InvalidInput(
            "a revocation states its reason", [FieldError("reason", f"1 to {_COMMENT_LIMIT} characters")]
        )
    now = _now(clock)
    at = truncate_to_second(ensure_utc(revoked_at)) if revoked_at else now
    if at > now:
        raise InvalidInput(
            "a revocation cannot be scheduled; rotate the key instead", [FieldError("revoked_at", "future")]
        )
    at = max(at, key.valid_from)
    _end(
        session, clock=clock, keystore=keystore, key=key, at=at, reason=reason, comment=text, replaced_by=None
    )
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag="keys:key:revoked",
        subject_type="key",
        subject_id=key.keyid,
        details={"reason": reason.value, "revoked_at": at.isoformat()},
    )
    return key
