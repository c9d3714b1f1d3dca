"""Storage of shared pseudonym keys: listing, opening and generating them (sealed by the keystore)."""

from __future__ import annotations

import secrets as random_secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comity.agreements.model import Agreement
from comity.audit import service as audit
from comity.clock import Clock
from comity.errors import Conflict
from comity.federation.model import AgreementPseudonymKey
from comity.federation.pseudonym_rules import SECRET_BYTES, fingerprint, next_generation
from comity.keys.keystore import Keystore


def keys_of(
    session: Session, agreement_id: str, version: int, *, lock: bool = False
) -> list[AgreementPseudonymKey]:
    """Every generation held for one agreement version, newest first (``lock``: FOR UPDATE)."""
    query = (
        select(AgreementPseudonymKey)
        .where(
            AgreementPseudonymKey.agreement_id == agreement_id,
            AgreementPseudonymKey.agreement_version == version,
        )
        .order_by(AgreementPseudonymKey.generation.desc())
    )
    return list(session.scalars(query.with_for_update() if lock else query))


def list_keys(session: Session) -> list[AgreementPseudonymKey]:
    """Every key held, by agreement, version and generation (for listings: never open them there)."""
    return list(
        session.scalars(
            select(AgreementPseudonymKey).order_by(
                AgreementPseudonymKey.agreement_id,
                AgreementPseudonymKey.agreement_version,
                AgreementPseudonymKey.generation,
            )
        )
    )


def open_key(keystore: Keystore, key: AgreementPseudonymKey) -> bytes:
    """The secret of a stored key, opened with the keystore (in memory only; checked for its length)."""
    secret = keystore.open_secret(
        key.secret_sealed,
        what=f"the pseudonym key of {key.agreement_id} v{key.agreement_version} gen {key.generation}",
    )
    if len(secret) != SECRET_BYTES:
        raise Conflict(f"the stored pseudonym key of {key.agreement_id} is not {SECRET_BYTES} bytes")
    return secret


def key_fingerprint(keystore: Keystore, key: AgreementPseudonymKey) -> str:
    """The fingerprint of a stored key (opens it in memory only)."""
    return fingerprint(open_key(keystore, key))


def generate_key(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    node: str,
    actor: str,
    agreement: Agreement,
    reason: str,
) -> tuple[AgreementPseudonymKey, bytes]:
    """Make the next generation of ``agreement``'s key on its steward; retire the older ones."""
    held = keys_of(session, agreement.id, agreement.version)
    secret = random_secrets.token_bytes(SECRET_BYTES)
    now = clock.now()
    key = AgreementPseudonymKey(
        agreement_id=agreement.id,
        agreement_version=agreement.version,
        generation=next_generation(held),
        secret_sealed=keystore.seal_secret(secret),
        origin=node,
        created_at=now,
        retired_at=None,
    )
    try:
        with session.begin_nested():  # another process generating the same generation now: theirs stands
            for older in held:
                if older.retired_at is None:
                    older.retired_at = now
            session.add(key)
    except IntegrityError:
        raise Conflict(
            f"generation {key.generation} of the pseudonym key of {agreement.id} v{agreement.version} was "
            "made concurrently: try again",
            agreement=agreement.id,
        ) from None
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag=f"federation:pseudonym_key:{reason}",
        subject_type="agreement",
        subject_id=agreement.id,
        details={
            "version": agreement.version,
            "generation": key.generation,
            "fingerprint": fingerprint(secret),
            "retired": [older.generation for older in held if older.retired_at == now],
        },
    )
    return key, secret
