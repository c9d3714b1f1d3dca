"""Registration rules: who may hold which kind of key, for how long, and where key material comes from."""

from __future__ import annotations

from sqlalchemy.orm import Session

from comity.errors import FieldError, InvalidInput, NotFound
from comity.identity.model import Organisation
from comity.keys.keystore import Keystore
from comity.kinds import AuthorityType
from comity.signing.keys import AUTHORITY_PURPOSES, Algorithm, Holder, KeyPurpose

#: Comity's defaults, not law: keys expire within a year unless told otherwise, and never live longer
#: than five, so a forgotten key cannot stay trusted indefinitely.
DEFAULT_VALIDITY_DAYS = 365
MAX_VALIDITY_DAYS = 5 * 365


def check_validity_days(valid_days: int) -> None:
    """Refuse a validity period outside 1 to ``MAX_VALIDITY_DAYS`` days."""
    if not 1 <= valid_days <= MAX_VALIDITY_DAYS:
        raise InvalidInput(
            f"validity must be 1 to {MAX_VALIDITY_DAYS} days",
            [FieldError("valid_days", f"between 1 and {MAX_VALIDITY_DAYS}")],
        )


def check_holder(
    session: Session,
    *,
    jurisdiction: str,
    purpose: KeyPurpose,
    organisation: str | None,
    authority_type: AuthorityType | None,
    officer: str | None,
) -> Holder:
    """The holder of a new key, checked against the organisation registry.

    The authority type is the policy-relevant fact ("a police key on an order that needs a judge"), so it
    comes from the organisation's registration when there is one, and only authority and officer keys have it.
    """
    if organisation is not None:
        org = session.get(Organisation, organisation)
        if org is None:
            raise NotFound(f"no organisation {organisation!r}", field="organisation")
        if org.jurisdiction != jurisdiction:
            raise InvalidInput(
                f"organisation {organisation} belongs to {org.jurisdiction}, not {jurisdiction}",
                [FieldError("organisation", "belongs to another jurisdiction")],
            )
        registered = AuthorityType(org.authority_type) if org.authority_type else None
        if authority_type is not None and registered is not None and authority_type is not registered:
            raise InvalidInput(
                f"organisation {organisation} is a {registered.value} authority, not {authority_type.value}",
                [FieldError("authority_type", f"the organisation is registered as {registered.value}")],
            )
        authority_type = authority_type or registered
    if purpose in AUTHORITY_PURPOSES and authority_type is None:
        raise InvalidInput(
            f"a {purpose.value} key must name its authority type (police, judge, ...)",
            [FieldError("authority_type", "required for authority and officer keys")],
        )
    if purpose not in AUTHORITY_PURPOSES and authority_type is not None:
        raise InvalidInput(
            f"a {purpose.value} key is not an authority's key",
            [FieldError("authority_type", "only authority and officer keys carry an authority type")],
        )
    if officer is not None and purpose is not KeyPurpose.OFFICER_SIGNING:
        raise InvalidInput("only officer keys name an officer", [FieldError("officer", "officer keys only")])
    return Holder(
        jurisdiction=jurisdiction, organisation=organisation, authority_type=authority_type, officer=officer
    )


def new_key_material(keystore: Keystore, purpose: KeyPurpose, public_key: bytes | None) -> tuple[bytes, bool]:
    """The public key to register, and whether this node keeps the private key (generated here)."""
    if public_key is not None:
        if len(public_key) != 32:
            raise InvalidInput("a public key is 32 bytes", [FieldError("public_key", "32 bytes expected")])
        return public_key, False
    if purpose.algorithm is Algorithm.X25519:
        return bytes(keystore.generate_encryption_key().public_key), True
    return keystore.generate_signing_key().public_key, True
