"""Use cases for organisations, users and tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.audit import service as audit_service
from comity.clock import Clock
from comity.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, Unauthenticated
from comity.identity.model import ApiToken, Organisation, User
from comity.identity.principal import Principal
from comity.ids import new_id
from comity.kinds import AuthorityType, OrganisationKind, Role

TOKEN_PREFIX = "cmt_"  # noqa: S105 (a public prefix, not a secret)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_organisation(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    name: str,
    kind: OrganisationKind,
    jurisdiction: str,
    authority_type: AuthorityType | None = None,
    org_id: str | None = None,
    operates_node: bool = False,
) -> Organisation:
    """Register an organisation. An authority must state its authority type; others must not.

    ``operates_node`` marks the organisation that runs this node (never a platform).
    """
    if kind is OrganisationKind.AUTHORITY and authority_type is None:
        raise InvalidInput("an authority needs an authority type", [FieldError("authority_type", "required")])
    if kind is not OrganisationKind.AUTHORITY and authority_type is not None:
        raise InvalidInput(
            "only authorities have an authority type", [FieldError("authority_type", "must be empty")]
        )
    if len(jurisdiction) != 2 or not jurisdiction.isalpha():
        raise InvalidInput("not an ISO 3166 code", [FieldError("jurisdiction", "two letters expected")])
    if operates_node and kind is OrganisationKind.PLATFORM:
        raise InvalidInput("a platform does not run a node", [FieldError("operates_node", "not a platform")])
    org = Organisation(
        id=org_id or new_id("org"),
        name=name,
        kind=kind.value,
        jurisdiction=jurisdiction.upper(),
        authority_type=authority_type.value if authority_type else None,
        created_at=clock.now(),
        operates_node=operates_node,
    )
    if session.get(Organisation, org.id) is not None:
        raise Conflict(f"organisation {org.id} exists")
    session.add(org)
    session.flush()
    audit_service.record(
        session,
        clock=clock,
        actor=actor,
        tag="identity:organisation:created",
        subject_type="organisation",
        subject_id=org.id,
        details={
            "kind": org.kind,
            "jurisdiction": org.jurisdiction,
            "authority_type": org.authority_type,
            "operates_node": org.operates_node,
        },
    )
    return org


def set_node_operator(
    session: Session, *, clock: Clock, actor: str, org_id: str, operates_node: bool
) -> Organisation:
    """Mark (or unmark) the organisation that runs this node; its administrators administer the node."""
    org = find_organisation(session, org_id)
    if operates_node and org.kind == OrganisationKind.PLATFORM.value:
        raise InvalidInput("a platform does not run a node", [FieldError("organisation", "a platform")])
    if org.operates_node != operates_node:
        org.operates_node = operates_node
        audit_service.record(
            session,
            clock=clock,
            actor=actor,
            tag=f"identity:organisation:operator_{'set' if operates_node else 'unset'}",
            subject_type="organisation",
            subject_id=org.id,
            details={"operates_node": operates_node},
        )
    return org


def require_node_administrator(principal: Principal) -> None:
    """Refuse (403) anyone but an administrator of the organisation that runs this node."""
    if not principal.administers_node:
        raise Forbidden("this is administered by the administrators of the organisation that runs this node")


def create_organisation_as(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    name: str,
    kind: OrganisationKind,
    jurisdiction: str,
    authority_type: AuthorityType | None = None,
) -> Organisation:
    """An organisation registered through the API: only the node's administrators register them."""
    require_node_administrator(principal)
    return create_organisation(
        session,
        clock=clock,
        actor=principal.actor,
        name=name,
        kind=kind,
        jurisdiction=jurisdiction,
        authority_type=authority_type,
    )


def find_organisation(session: Session, org_id: str) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"no organisation {org_id!r}")
    return org


def list_organisations(session: Session) -> Sequence[Organisation]:
    return session.scalars(select(Organisation).order_by(Organisation.jurisdiction, Organisation.name)).all()


@dataclass(frozen=True)
class IssuedToken:
    user: User
    token: str  # shown once; only its hash is kept


def add_user(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    username: str,
    role: Role,
    organisation_id: str,
    display_name: str | None = None,
) -> IssuedToken:
    """Create a user in an organisation and issue a first bearer token."""
    org = find_organisation(session, organisation_id)
    _check_role_fits(role, OrganisationKind(org.kind))
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists", field="username")
    user = User(
        id=new_id("usr"),
        username=username,
        display_name=display_name or username,
        role=role.value,
        organisation_id=org.id,
        active=True,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    audit_service.record(
        session,
        clock=clock,
        actor=actor,
        tag="identity:user:created",
        subject_type="user",
        subject_id=user.id,
        details={"role": user.role, "organisation_id": org.id},
    )
    return IssuedToken(user=user, token=issue_token(session, clock=clock, actor=actor, user_id=user.id))


def add_user_as(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    username: str,
    role: Role,
    organisation_id: str,
    display_name: str | None = None,
) -> IssuedToken:
    """A user created through the API by an administrator.

    The node's administrators create users in any organisation; an organisation's administrator only in
    its own organisation; either way only in a role the organisation's kind allows (no judge in a
    platform).
    """
    if principal.role is not Role.ADMINISTRATOR:
        raise Forbidden("users are created by administrators")
    if not principal.administers_node and organisation_id != principal.organisation_id:
        raise Forbidden(
            f"you administer the users of {principal.organisation_id}; only the node's administrators "
            "manage other organisations' users"
        )
    return add_user(
        session,
        clock=clock,
        actor=principal.actor,
        username=username,
        role=role,
        organisation_id=organisation_id,
        display_name=display_name,
    )


def issue_token(session: Session, *, clock: Clock, actor: str, user_id: str, label: str = "") -> str:
    """Issue a new bearer token for a user; returns the clear token (never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        id=new_id("tok"),
        user_id=user_id,
        token_hash=hash_token(token),
        label=label,
        created_at=clock.now(),
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    audit_service.record(
        session,
        clock=clock,
        actor=actor,
        tag="identity:token:issued",
        subject_type="user",
        subject_id=user_id,
        details={"token_id": row.id},
    )
    return token


def authenticate(session: Session, token: str) -> Principal:
    """Resolve a bearer token to its principal, or raise :class:`Unauthenticated`."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("unknown or revoked token")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthenticated("the token's user is inactive")
    org = session.get(Organisation, user.organisation_id)
    assert org is not None  # foreign key
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        organisation_id=org.id,
        organisation_kind=OrganisationKind(org.kind),
        jurisdiction=org.jurisdiction,
        authority_type=AuthorityType(org.authority_type) if org.authority_type else None,
        operates_node=bool(org.operates_node),
    )


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


_ROLE_ORGS: dict[Role, frozenset[OrganisationKind]] = {
    Role.OFFICER: frozenset({OrganisationKind.AUTHORITY}),
    Role.JUDGE: frozenset({OrganisationKind.AUTHORITY}),
    Role.PLATFORM: frozenset({OrganisationKind.PLATFORM}),
    Role.AUDITOR: frozenset({OrganisationKind.OVERSIGHT}),
    Role.ADMINISTRATOR: frozenset(OrganisationKind),
}


def _check_role_fits(role: Role, kind: OrganisationKind) -> None:
    if kind not in _ROLE_ORGS[role]:
        allowed = ", ".join(sorted(k.value for k in _ROLE_ORGS[role]))
        raise InvalidInput(
            f"role {role.value} belongs to a {allowed} organisation, not a {kind.value}",
            [FieldError("role", f"not valid for a {kind.value} organisation")],
        )
