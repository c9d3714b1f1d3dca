"""Helpers for the governance tests (importable as ``unit.governance.governance_support``)."""

from __future__ import annotations

from comity.identity.principal import Principal
from comity.kinds import AuthorityType, OrganisationKind, Role


def principal(
    username: str,
    role: Role,
    kind: OrganisationKind,
    authority_type: AuthorityType | None = None,
) -> Principal:
    """A caller as the web layer would authenticate one."""
    return Principal(
        user_id=f"usr_{username}",
        username=username,
        role=role,
        organisation_id=f"org_{kind.value}",
        organisation_kind=kind,
        jurisdiction="IE",
        authority_type=authority_type,
    )
