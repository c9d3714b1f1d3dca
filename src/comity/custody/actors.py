"""Who signs a custody event: the acting officer's key, or the node's key for the node's own acts.

An officer's key is registered in the key registry (purpose ``officer_signing``, holder = the officer's
user id, organisation and authority type) and its private half is held by the node in its encrypted
keystore. It is created on the officer's first custody act and only ever used inside a request the officer
authenticated, so each signature attests that this officer acted. The node key (``node_signing``) signs
what no person does: destruction at the end of retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from comity.clock import Clock
from comity.custody.payload import NODE_ACTOR_PREFIX
from comity.errors import Forbidden, NotFound
from comity.identity.principal import SYSTEM_ACTOR, Principal
from comity.keys import queries
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.kinds import Role
from comity.signing.keys import Ed25519Signer, KeyPurpose

#: Roles whose holders collect and handle evidence (officers and judges of the node's jurisdiction).
CUSTODIAN_ROLES = frozenset({Role.OFFICER, Role.JUDGE})


@dataclass(frozen=True, slots=True)
class Actor:
    """The actor of a custody event: the reference signed into it, the audit actor, and the signer."""

    ref: str  # user id, or node:<jurisdiction>
    audit_actor: str
    jurisdiction: str
    organisation: str | None
    signer: Ed25519Signer


def require_custodian(principal: Principal, *, node_jurisdiction: str) -> None:
    """Refuse anyone but an officer or judge of this node's jurisdiction."""
    if principal.role not in CUSTODIAN_ROLES:
        raise Forbidden(f"evidence is handled by officers and judges; you are {principal.role.value}")
    if principal.jurisdiction != node_jurisdiction:
        raise Forbidden(
            f"this node holds evidence for {node_jurisdiction}; "
            f"your organisation is in {principal.jurisdiction}"
        )


def _key(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    purpose: KeyPurpose,
    jurisdiction: str,
    at: datetime,
    organisation: str | None = None,
    officer: str | None = None,
    actor: str,
    label: str,
) -> Ed25519Signer:
    try:
        return queries.signer_for(
            session,
            keystore=keystore,
            purpose=purpose,
            jurisdiction=jurisdiction,
            at=at,
            organisation=organisation,
            officer=officer,
        )
    except NotFound:
        pass
    # First use: register a key under the jurisdiction's anchor (an audit event in this same transaction).
    key = keys.register_key(
        session,
        clock=clock,
        actor=actor,
        keystore=keystore,
        jurisdiction=jurisdiction,
        purpose=purpose,
        organisation=organisation,
        officer=officer,
        label=label,
    )
    return keystore.signer(key.keyid)


def officer_actor(session: Session, *, clock: Clock, keystore: Keystore, principal: Principal) -> Actor:
    """The actor for an authenticated officer or judge; creates the officer's signing key on first use."""
    signer = _key(
        session,
        clock=clock,
        keystore=keystore,
        purpose=KeyPurpose.OFFICER_SIGNING,
        jurisdiction=principal.jurisdiction,
        at=clock.now(),
        organisation=principal.organisation_id,
        officer=principal.user_id,
        actor=principal.actor,
        label=f"custody key of {principal.user_id}",
    )
    return Actor(
        ref=principal.user_id,
        audit_actor=principal.actor,
        jurisdiction=principal.jurisdiction,
        organisation=principal.organisation_id,
        signer=signer,
    )


def node_actor(session: Session, *, clock: Clock, keystore: Keystore, jurisdiction: str) -> Actor:
    """The node itself, signing with its node key (created on first use if the node has none)."""
    signer = _key(
        session,
        clock=clock,
        keystore=keystore,
        purpose=KeyPurpose.NODE_SIGNING,
        jurisdiction=jurisdiction,
        at=clock.now(),
        organisation=None,
        actor=SYSTEM_ACTOR,
        label=f"{jurisdiction} node",
    )
    return Actor(
        ref=f"{NODE_ACTOR_PREFIX}{jurisdiction}",
        audit_actor=SYSTEM_ACTOR,
        jurisdiction=jurisdiction,
        organisation=None,
        signer=signer,
    )
